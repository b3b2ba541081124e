/**
 * One bad field does not sink a document. After the repair request, a field whose value still fails
 * only a format check (a refinement or keyword the JSON Schema sent cannot express: a time as HH:MM, a
 * `pattern`) is set to null, its value and the reason kept in the warnings and the field's evidence.
 * Re-validating the nulled answer decides it, so a field that may not be null, or any problem with the
 * answer's shape or types, still fails the record.
 */
import type { z } from 'zod';
import { formatPath, issueMessage } from '../profiles/zodIssues.js';
import type { FieldEvidence } from '../providers/types.js';

export interface RejectedField {
  /** `time`, `items[0].description` */
  path: string;
  value: string | number | boolean;
  /** `expected a time as HH:MM (24-hour)`; several failed checks joined by `; `. */
  reason: string;
}

export interface SalvagedAnswer {
  /** The validated answer, with every rejected field null. */
  data: unknown;
  rejected: RejectedField[];
}

type Leaf = RejectedField['value'];

const isLeaf = (value: unknown): value is Leaf => typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/** Length and range checks on arrays are about the answer's shape, not a value's content. */
const VALUE_ORIGINS: ReadonlySet<string> = new Set(['string', 'number', 'int', 'bigint']);

/** A check on what a value says rather than on its type or on the answer's shape. */
function isFormatCheck(issue: z.core.$ZodIssue): boolean {
  switch (issue.code) {
    case 'custom':
    case 'invalid_format':
    case 'not_multiple_of':
      return true;
    case 'too_small':
    case 'too_big':
      return VALUE_ORIGINS.has(issue.origin);
    default:
      return false;
  }
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (node, key) => (typeof node === 'object' && node !== null ? (node as Record<PropertyKey, unknown>)[key] : undefined),
    data,
  );
}

/**
 * The answer with the failing fields null, when every issue is a format check on a leaf value and the
 * nulled answer validates; undefined when the answer must fail as it is.
 */
export function salvageFields(schema: z.ZodType, data: unknown, issues: readonly z.core.$ZodIssue[]): SalvagedAnswer | undefined {
  const failing = new Map<string, { parent: readonly PropertyKey[]; key: PropertyKey; field: RejectedField }>();
  for (const issue of issues) {
    const value = valueAt(data, issue.path);
    const key = issue.path.at(-1);
    if (!isFormatCheck(issue) || key === undefined || !isLeaf(value)) return undefined;
    const path = formatPath(issue.path);
    const known = failing.get(path);
    if (known === undefined)
      failing.set(path, { parent: issue.path.slice(0, -1), key, field: { path, value, reason: issueMessage(issue) } });
    else known.field.reason = `${known.field.reason}; ${issueMessage(issue)}`;
  }
  if (failing.size === 0) return undefined;
  const nulled = structuredClone(data);
  for (const { parent, key } of failing.values()) (valueAt(nulled, parent) as Record<PropertyKey, unknown>)[key] = null;
  const parsed = schema.safeParse(nulled);
  return parsed.success ? { data: parsed.data, rejected: [...failing.values()].map(({ field }) => field) } : undefined;
}

/** A warning should name the value, not repeat a page of it. */
const SHOWN_CHARS = 80;

/** `time: "2:05 PM" is not a time as HH:MM (24-hour); set to null` */
export function rejectionWarning({ path, value, reason }: RejectedField): string {
  const json = JSON.stringify(value);
  const shown = json.length > SHOWN_CHARS ? `${json.slice(0, SHOWN_CHARS)}...` : json;
  const single = reason.startsWith('expected ') && !reason.includes('; ');
  return `${path}: ${shown} ${single ? `is not ${reason.slice('expected '.length)}` : `fails a format check (${reason})`}; set to null`;
}

/**
 * The evidence with each rejected field's entry marked. A field the provider gave no evidence for gets
 * confidence 0 (the null it now holds was read from nothing) and the answered value as its text.
 */
export function withRejections(
  evidence: Record<string, FieldEvidence> | undefined,
  rejected: readonly RejectedField[],
): Record<string, FieldEvidence> {
  const marked: Record<string, FieldEvidence> = { ...evidence };
  for (const { path, value, reason } of rejected) {
    const known = marked[path] ?? { confidence: 0, text: String(value) };
    marked[path] = { ...known, rejected: { value, reason } };
  }
  return marked;
}
