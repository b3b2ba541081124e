/**
 * One answer for a document sent in several requests, and where each field came from.
 *
 * Each request answered for its own pages (documentPrompt.ts tells it to), so a field is null where
 * those pages do not show it. The merge, per profile:
 * - invoice: `line_items` from every request, concatenated in page order (a table that runs over a
 *   page break is one list). Vendor, number, date and currency are printed in the header: the first
 *   non-null value in page order wins, and a later request stating a different one adds a warning.
 *   Subtotal, tax and total are stated once, at the end, while earlier pages may print a running
 *   "carried forward" amount that reads like a subtotal: the last non-null value in page order wins.
 * - receipt: the same, with `items`; tip and payment method are at the end too (last wins).
 * - any other profile: arrays concatenated in page order; every other field the first non-null value in
 *   page order (for prose fields such as a summary that is the first request's view of the document).
 * Nothing is de-duplicated: a line printed on two pages (a repeated "continued" row) appears twice.
 *
 * Provenance (`fields`): each top-level field and each array element maps to the pages of the request it
 * came from, narrowed to the pages whose text layer contains the value when any does. Without a text
 * layer (scans, TIFF) it stays the request's pages.
 */
import type { FieldEvidence } from './types.js';
import { hasTextLayer, type PageText } from '../media/pageText.js';

export interface ChunkAnswer {
  /** 1-based pages the request carried. */
  pages: number[];
  /** The validated answer for those pages: a JSON object. */
  data: unknown;
  evidence?: Record<string, FieldEvidence>;
}

export interface MergedAnswer {
  data: Record<string, unknown>;
  /** Field path (`total`, `line_items`, `line_items[3]`) -> 1-based pages, ascending. */
  fields: Record<string, number[]>;
  evidence?: Record<string, FieldEvidence>;
  warnings: string[];
}

interface MergeRules {
  /** Header fields: the first non-null value in page order. */
  first: readonly string[];
  /** Fields stated at the end: the last non-null value in page order. */
  last: readonly string[];
}

const RULES: Readonly<Record<string, MergeRules>> = {
  invoice: { first: ['vendor', 'invoice_number', 'date', 'currency'], last: ['subtotal', 'tax', 'total'] },
  receipt: { first: ['merchant', 'date', 'time', 'currency'], last: ['subtotal', 'tax', 'tip', 'total', 'payment_method'] },
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isMissing = (value: unknown): boolean => value === null || value === undefined || value === '';
const pagesOf = (chunk: ChunkAnswer): string =>
  chunk.pages.length === 1 ? `page ${chunk.pages[0]}` : `pages ${chunk.pages[0]}-${chunk.pages.at(-1)}`;
const show = (value: unknown): string => JSON.stringify(value);
const says = ({ chunk, value }: { chunk: ChunkAnswer; value: unknown }): string =>
  `${pagesOf(chunk)} ${chunk.pages.length === 1 ? 'says' : 'say'} ${show(value)}`;

/** Lower case, runs of whitespace as one space. */
const normalise = (text: string): string => text.toLowerCase().replace(/\s+/g, ' ');

function amountForms(value: number): string[] {
  const fixed = value.toFixed(2);
  const grouped = value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const european = grouped.replace(/,/g, ' ').replace('.', ',').replace(/ /g, '.');
  return [...new Set([fixed, grouped, european, ...(Number.isInteger(value) ? [String(value)] : [])])];
}

/** Printed forms a value may take on the page; short strings and small integers match too much to count. */
function needles(value: unknown): string[] {
  if (typeof value === 'string') return value.trim().length >= 3 ? [normalise(value.trim())] : [];
  if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) < 100 ? [] : amountForms(value);
  if (Array.isArray(value)) return value.flatMap(needles);
  if (isRecord(value)) return Object.values(value).flatMap(needles);
  return [];
}

const WORD = /[\p{L}\p{N}]/u;

/** A letter or digit, or a separator inside a number ("1,234.50" does not print "4.50"), joins a match to its neighbour. */
function joins(edge: string | undefined, beyond: string | undefined): boolean {
  return edge !== undefined && (WORD.test(edge) || (/[.,]/.test(edge) && beyond !== undefined && /\d/.test(beyond)));
}

/** `form` occurs in `text` as a whole: not as part of a longer word or number. */
function printed(text: string, form: string): boolean {
  for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + 1)) {
    const end = at + form.length;
    const startsWord = WORD.test(form[0] ?? '');
    const endsWord = WORD.test(form.at(-1) ?? '');
    if (!(startsWord && joins(text[at - 1], text[at - 2])) && !(endsWord && joins(text[end], text[end + 1]))) return true;
  }
  return false;
}

/** The candidate pages whose text layer prints one of the value's forms; all candidates when none does. */
function narrow(value: unknown, candidates: readonly number[], texts: ReadonlyMap<number, string>): number[] {
  const forms = needles(value);
  const found = candidates.filter((page) => {
    const text = texts.get(page);
    return text !== undefined && forms.some((form) => printed(text, form));
  });
  return found.length > 0 ? found : [...candidates];
}

/** Evidence of one chunk under the merged data's paths: array elements shift by what earlier chunks contributed. */
function reKey(path: string, offsets: ReadonlyMap<string, number>): string {
  const match = /^([^.[]+)\[(\d+)\](.*)$/.exec(path);
  if (match === null) return path;
  const [, field = '', index = '0', rest = ''] = match;
  return `${field}[${Number(index) + (offsets.get(field) ?? 0)}]${rest}`;
}

/**
 * `chunks` in page order; `texts` the text layers by page (pages without one may be absent). Every chunk's
 * data must be an object (a validated profile answer).
 */
export function mergeAnswers(
  profileName: string,
  chunks: readonly ChunkAnswer[],
  texts: ReadonlyMap<number, PageText | null>,
): MergedAnswer {
  const rules = RULES[profileName] ?? { first: [], last: [] };
  const layers = new Map([...texts].flatMap(([page, text]) => (hasTextLayer(text) ? [[page, normalise(text.text)] as const] : [])));
  const objects = chunks.map((chunk, index) => {
    if (!isRecord(chunk.data)) throw new TypeError(`expected the answer for ${pagesOf(chunk)} to be an object, got ${show(chunk.data)}`);
    return { chunk, data: chunk.data, index };
  });
  const keys = [...new Set(objects.flatMap(({ data }) => Object.keys(data)))];
  const data: Record<string, unknown> = {};
  const fields: Record<string, number[]> = {};
  const warnings: string[] = [];
  /** Index of the chunk whose value each scalar field kept. */
  const sourceOf = new Map<string, number>();
  /** Per chunk: how many elements each array field had before that chunk's were appended. */
  const offsets = chunks.map(() => new Map<string, number>());

  for (const key of keys) {
    const values = objects.filter(({ data: d }) => key in d).map(({ chunk, data: d, index }) => ({ chunk, index, value: d[key] }));
    if (values.some(({ value }) => Array.isArray(value))) {
      const merged: unknown[] = [];
      const pages = new Set<number>();
      for (const { chunk, index, value } of values) {
        offsets[index]?.set(key, merged.length);
        for (const item of Array.isArray(value) ? value : []) {
          const found = narrow(item, chunk.pages, layers);
          fields[`${key}[${merged.length}]`] = found;
          for (const page of found) pages.add(page);
          merged.push(item);
        }
      }
      data[key] = merged;
      if (merged.length > 0) fields[key] = [...pages].sort((a, b) => a - b);
      continue;
    }
    const present = values.filter(({ value }) => !isMissing(value));
    const chosen = rules.last.includes(key) ? present.at(-1) : present[0];
    data[key] = chosen?.value ?? values[0]?.value ?? null;
    if (chosen === undefined) continue;
    sourceOf.set(key, chosen.index);
    fields[key] = narrow(chosen.value, chosen.chunk.pages, layers);
    if (rules.first.includes(key)) {
      for (const other of present) {
        if (other !== chosen && show(other.value) !== show(chosen.value)) {
          warnings.push(`${key}: ${says(other)}, ${says(chosen)}; kept the first`);
        }
      }
    }
  }

  const evidence: Record<string, FieldEvidence> = {};
  objects.forEach(({ chunk, index }) => {
    for (const [path, entry] of Object.entries(chunk.evidence ?? {})) {
      const field = /^[^.[]+/.exec(path)?.[0] ?? path;
      const isArrayField = Array.isArray(data[field]);
      // A scalar's evidence comes from the request whose value was kept; while none was, a rejected value's
      // evidence is the record of why the field is null.
      const kept = sourceOf.get(field);
      const rejectedOnly = kept === undefined && entry.rejected !== undefined && !(path in evidence);
      if (!isArrayField && kept !== index && !rejectedOnly) continue;
      evidence[isArrayField ? reKey(path, offsets[index] ?? new Map()) : path] = entry;
    }
  });
  return { data, fields, warnings, ...(Object.keys(evidence).length === 0 ? {} : { evidence }) };
}
