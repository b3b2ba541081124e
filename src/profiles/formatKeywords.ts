/**
 * JSON Schema keywords that check a value's content rather than its shape: strict structured outputs on
 * Azure OpenAI refuse them (`pattern`, `format`, `minLength`, `minimum`, ...). A user-defined profile may
 * use them all the same: the schema sent leaves them out and states them in the description instead,
 * while validation still enforces them, so a value that breaks one is a format failure that can be set
 * to null (pipeline/salvageFields.ts) like the built-ins' refinements.
 */

type Node = Record<string, unknown>;

interface FormatKeyword {
  /** `number` covers `integer` too. */
  appliesTo: 'string' | 'number';
  /** Why `value` is not a valid setting of the keyword; undefined when it is. */
  problem: (value: unknown) => string | undefined;
  /** The constraint in words, for the description the model sees. */
  says: (value: unknown) => string;
}

/** The formats the validator enforces (zod's `fromJSONSchema`; it ignores any other name). */
const FORMATS: ReadonlySet<string> = new Set(['date-time', 'date', 'time', 'duration', 'email', 'hostname', 'ipv4', 'ipv6', 'uri', 'uuid']);

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

const count = (value: unknown): string | undefined =>
  Number.isInteger(value) && (value as number) >= 0 ? undefined : 'must be a whole number, 0 or more';
const bound = (value: unknown): string | undefined => (Number.isFinite(value) ? undefined : 'must be a number');

export const FORMAT_KEYWORDS: ReadonlyMap<string, FormatKeyword> = new Map<string, FormatKeyword>([
  [
    'pattern',
    {
      appliesTo: 'string',
      problem: (value) => (typeof value === 'string' && compiles(value) ? undefined : 'must be a regular expression'),
      says: (value) => `must match the pattern ${String(value)}`,
    },
  ],
  [
    'format',
    {
      appliesTo: 'string',
      problem: (value) => (typeof value === 'string' && FORMATS.has(value) ? undefined : `must be one of ${[...FORMATS].join(', ')}`),
      says: (value) => `format: ${String(value)}`,
    },
  ],
  ['minLength', { appliesTo: 'string', problem: count, says: (value) => `at least ${String(value)} characters` }],
  ['maxLength', { appliesTo: 'string', problem: count, says: (value) => `at most ${String(value)} characters` }],
  ['minimum', { appliesTo: 'number', problem: bound, says: (value) => `at least ${String(value)}` }],
  ['maximum', { appliesTo: 'number', problem: bound, says: (value) => `at most ${String(value)}` }],
  ['exclusiveMinimum', { appliesTo: 'number', problem: bound, says: (value) => `more than ${String(value)}` }],
  ['exclusiveMaximum', { appliesTo: 'number', problem: bound, says: (value) => `less than ${String(value)}` }],
  [
    'multipleOf',
    {
      appliesTo: 'number',
      problem: (value) => (Number.isFinite(value) && (value as number) > 0 ? undefined : 'must be a number greater than 0'),
      says: (value) => `a multiple of ${String(value)}`,
    },
  ],
]);

/**
 * The schema as sent as a strict `response_format`: without the format keywords, each said in its
 * node's description so that the model still knows it. Expects a schema the subset check accepted.
 */
export function withoutFormatKeywords(node: Node): Node {
  const out: Node = {};
  const said: string[] = [];
  for (const [key, value] of Object.entries(node)) {
    const keyword = FORMAT_KEYWORDS.get(key);
    if (keyword !== undefined) said.push(keyword.says(value));
    else if (key === 'properties')
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, Node>).map(([name, child]) => [name, withoutFormatKeywords(child)]),
      );
    else if (key === 'items') out[key] = withoutFormatKeywords(value as Node);
    else if (key === 'anyOf') out[key] = (value as Node[]).map(withoutFormatKeywords);
    else out[key] = value;
  }
  if (said.length > 0) {
    const { description } = node;
    out['description'] = `${typeof description === 'string' ? `${description} ` : ''}(${said.join(', ')})`;
  }
  return out;
}
