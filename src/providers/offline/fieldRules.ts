/** Rules shared by the invoice and receipt readers: labelled amounts and dates, the currency. */
import type { FieldEvidence } from '../types.js';
import { findAmounts } from './amounts.js';
import { detectCurrency } from './currency.js';
import type { DateOrder } from './dates.js';
import { findCompactDates, findDates } from './dates.js';
import type { Found, Layout, Parser } from './ocrLayout.js';
import { PLACEMENT_TRUST, evidence, findLabelled, wordsIn } from './ocrLayout.js';

/** What a reader returns: the profile's data, where each value came from, and what looks wrong. */
export interface Extraction<T> {
  data: T;
  evidence: Record<string, FieldEvidence>;
  warnings: string[];
}

/**
 * The last amount printed with cents. Bare integers only count on documents that print none with
 * cents: elsewhere "£69297" is "£692.97" with its decimal point lost, not a number to report.
 */
export const moneyParser =
  (centsRequired: boolean): Parser<number> =>
  (text) => {
    const amounts = findAmounts(text);
    const amount = amounts.filter((a) => a.hasCents).at(-1) ?? (centsRequired ? undefined : amounts.at(-1));
    return amount === undefined ? null : { value: amount.value, start: amount.start, end: amount.end };
  };

/** Whether the page prints money with cents (a quarter of its amounts or more). */
export const printsCents = (layout: Layout): boolean => {
  const amounts = findAmounts(layout.text);
  return amounts.filter((a) => a.hasCents).length >= amounts.length / 4;
};

const dateParser =
  (order: DateOrder): Parser<string> =>
  (text) => {
    const [date] = findDates(text, order);
    return date === undefined ? null : { value: date.iso, start: date.start, end: date.end };
  };

export interface LabelledValue<T> {
  value: T;
  evidence: FieldEvidence;
  row: number;
}

const asValue = <T>(found: Found<T>): LabelledValue<T> => ({
  value: found.value,
  evidence: evidence(found.words, PLACEMENT_TRUST[found.where], found.label),
  row: found.row,
});

/**
 * The labelled amount for a field: labels are tried strongest first ("Amount due" before "Total"),
 * and the bottom-most occurrence wins (the final total sits below running totals).
 */
export function labelledAmount(
  layout: Layout,
  labels: readonly RegExp[],
  exclude: RegExp | undefined,
  skipRows: ReadonlySet<number>,
): LabelledValue<number> | null {
  const parse = moneyParser(printsCents(layout));
  for (const label of labels) {
    const found = findLabelled(layout, {
      label,
      parse,
      where: ['inline', 'right'],
      farthest: true,
      skipRows,
      ...(exclude === undefined ? {} : { exclude }),
    });
    const last = found.at(-1);
    if (last !== undefined) return asValue(last);
  }
  return null;
}

/**
 * The first date beside a date label; failing that, the first date on the page outside `exclude`d rows;
 * failing that, a date printed without separators. A year one digit away from the year of a date
 * printed without separators on the same day (a document number starting 20180418), or any year read
 * with little confidence, takes that date's year.
 */
export function labelledDate(layout: Layout, label: RegExp, exclude: RegExp, order: DateOrder): LabelledValue<string> | null {
  const compact = findCompactDates(layout.text);
  const found = firstDate(layout, label, exclude, order);
  if (found === null) {
    const [only] = compact;
    return only === undefined ? null : { value: only, evidence: { confidence: 0.5, text: only.replace(/-/g, '') }, row: -1 };
  }
  const [year, monthDay] = [found.value.slice(0, 4), found.value.slice(4)];
  const unsure = found.evidence.confidence < UNSURE_DATE;
  const agreeing = compact.find(
    (iso) => iso.slice(4) === monthDay && iso.slice(0, 4) !== year && (unsure || oneDigitApart(iso.slice(0, 4), year)),
  );
  return agreeing === undefined
    ? found
    : { ...found, value: agreeing, evidence: { ...found.evidence, confidence: round(found.evidence.confidence * 0.8) } };
}

/** A date read with less confidence than this defers to a compact date of the same day. */
const UNSURE_DATE = 0.4;
const oneDigitApart = (a: string, b: string): boolean => [...a].filter((char, index) => char !== b[index]).length === 1;
const round = (value: number): number => Math.round(value * 1000) / 1000;

function firstDate(layout: Layout, label: RegExp, exclude: RegExp, order: DateOrder): LabelledValue<string> | null {
  const [first] = findLabelled(layout, { label, exclude, parse: dateParser(order) });
  if (first !== undefined) return asValue(first);
  for (const row of layout.rows) {
    if (exclude.test(row.text)) continue;
    for (const segment of row.segments) {
      const [date] = findDates(segment.text, order);
      if (date !== undefined) return { value: date.iso, evidence: evidence(wordsIn(segment, date.start, date.end), 0.7), row: row.index };
    }
  }
  return null;
}

/** The currency from the page's evidence (see `detectCurrency`). */
export function currencyOf(layout: Layout, total: LabelledValue<number> | null): LabelledValue<string> | null {
  const markers = findAmounts(layout.text).flatMap((amount) => (amount.marker === null || !amount.hasCents ? [] : [amount.marker]));
  const onTotal = total === null ? undefined : findAmounts(total.evidence.text).find((amount) => amount.value === total.value)?.marker;
  const found = detectCurrency(layout.text, markers, onTotal ?? null);
  if (found === null) return null;
  return {
    value: found.code,
    evidence: { confidence: Math.round((0.5 + 0.45 * found.agreement) * 1000) / 1000, text: found.marker },
    row: -1,
  };
}

/** Sets `data[field]` and its evidence from a found value, or null when nothing was found. */
export function assign<T>(evidenceOut: Record<string, FieldEvidence>, field: string, found: LabelledValue<T> | null): T | null {
  if (found === null) return null;
  evidenceOut[field] = found.evidence;
  return found.value;
}
