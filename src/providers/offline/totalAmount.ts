/**
 * The total of an invoice or receipt, chosen by evidence: the strength of its label, its place on the
 * page, how often the amount is printed, and whether the page's own arithmetic agrees (cash minus
 * change, subtotal plus tax and rounding). A tax summary table's "Total" row is never the total.
 */
import { findAmounts } from './amounts.js';
import type { LabelledValue } from './fieldRules.js';
import { labelledAmount, moneyParser, printsCents } from './fieldRules.js';
import type { Found, Layout } from './ocrLayout.js';
import { PLACEMENT_TRUST, evidence, findLabelled } from './ocrLayout.js';

const SUBTOTAL_LABELS = [
  /\b(sub[\s-]?total|net\s+(amount|total)|total\s+(excl\.?|before\s+tax|net)|amount\s+before\s+tax|subtotaal|totaal\s+excl\.?|zwischensumme|nettobetrag|summe\s+netto|sous[\s-]total|total\s+ht|base\s+imponible)\b/i,
];
const TAX_LABELS = [/\b(vat|tax|gst|hst|pst|qst|sales\s+tax|btw|mwst|ust|tva|iva|impuesto)\b/i];
const TAX_EXCLUDE = /\b(invoice|total|subtotal|excl|incl|included|inkl|number|no\.?|nr\.?|[i1l]d|reg|nummer)\b/i;

/** OCR's readings of "total" on till rolls: TOT Al, T0TAL, TOTA1. */
const TOTAL = String.raw`t[o0]t\s?a[l1i]`;

/** Labels of the amount to pay, strongest first, in English, Dutch, German, French and Spanish. */
const FINAL_LABELS: readonly (readonly [RegExp, number])[] = [
  [
    new RegExp(
      String.raw`\b(amount\s+due|balance\s+due|${TOTAL}\s+due|grand\s+${TOTAL}|${TOTAL}\s+amount|amount\s+payable|${TOTAL}\s+payable|${TOTAL}\s+to\s+pay|${TOTAL}\s+after\s+(adj\w*|rounding)|rounded\s+${TOTAL}|${TOTAL}\s+\(?incl(usive|\.)?\b|nett\s+${TOTAL}|te\s+betalen|totaalbedrag|gesamtbetrag|gesamtsumme|endbetrag|rechnungsbetrag|zu\s+zahlen|${TOTAL}\s+ttc|net\s+[àa]\s+payer|montant\s+total|[àa]\s+payer|${TOTAL}\s+a\s+pagar|importe\s+total|${TOTAL}\s+factura|${TOTAL}\s+general)`,
      'i',
    ),
    3,
  ],
  [new RegExp(String.raw`(?<!sub[\s-]?)\b(${TOTAL}|totaal|summe|gesamt|importe)\b`, 'i'), 2],
];

/** Totals that are parts of the total: before tax, of the tax, of a count or a discount. */
const PARTIAL =
  /sub[\s-]?t[o0]ta[l1]|sous[\s-]total|subtotaal|zwischensumme|total\s+(excl\w*|before|net\b|tax|vat|gst|items?|qty|quantity|discount|saving|\d+\s*%|[€@]?\s*%|.{0,3}supplies)|(net|tax|vat|gst|tay)\s+total|total\s+ht\b|base\s+imponible|item\s+count|excl\.?\s+(btw|mwst|vat|tax)/i;

/** The heading of a tax summary table, whose "Total" row sums its columns. */
const SUMMARY = /\b(gst|vat|tax|btw|mwst|tva|iva|g\w?t)\s*\w{0,2}[mk]ary\b|\b(gst|vat|tax)\s+(analysis|code)\b/i;

const CASH_LABELS = [/\b(cash|tunai|tendered|[pf]a[yv]ment|[pf]aymert|paid|contant|bar|esp[eè]ces|efectivo)\b/i];
const CHANGE_LABELS = [/\b(change(\s+(due|amt))?|kembali|wisselgeld|r[uü]ckgeld|rendu|cambio)\b/i];
const ROUNDING_LABELS = [/\bround\s?ing(\s+adj\w*)?\b|\bafronding\b|\brundung\b|\barrondi\b|\bredondeo\b/i];

interface Candidate {
  found: Found<number>;
  strength: number;
}

const same = (a: number, b: number): boolean => Math.abs(a - b) < 0.005;

/** Misread by one digit: 30.50 for 30.90, 38.60 for 39.60. */
function oneDigitApart(a: number, b: number): boolean {
  const [x, y] = [a.toFixed(2), b.toFixed(2)];
  if (x.length !== y.length) return false;
  return [...x].filter((char, index) => char !== y[index]).length === 1;
}

interface TotalContext {
  /** Rows of the items table, which hold no totals. */
  skipRows: ReadonlySet<number>;
  subtotal: number | null;
  tax: number | null;
  /** Tax printed as included in the total ("GST Included"), which adds nothing to it. */
  taxIncluded: boolean;
}

function chooseTotal(layout: Layout, context: TotalContext): LabelledValue<number> | null {
  const summaryRow = layout.rows.find((row) => SUMMARY.test(row.text))?.index ?? Infinity;
  const parse = moneyParser(printsCents(layout));
  const candidates: Candidate[] = [];
  for (const [label, strength] of FINAL_LABELS) {
    const found = findLabelled(layout, {
      label,
      parse,
      where: ['inline', 'right'],
      farthest: true,
      skipRows: context.skipRows,
      exclude: PARTIAL,
    });
    for (const hit of found) {
      // Nothing to pay is a charge line ("TOTAL LOADING CHARGES 0.00") or a misread, not the total.
      if (hit.value <= 0 || hit.row > summaryRow || candidates.some((other) => other.found.row === hit.row)) continue;
      const row = layout.rows[hit.row];
      const columns = findAmounts(row?.text ?? '').filter((amount) => amount.hasCents).length;
      candidates.push({ found: hit, strength: columns > 1 ? strength - 1 : strength });
    }
  }

  const cash = labelledAmount(layout, CASH_LABELS, undefined, context.skipRows);
  const change = labelledAmount(layout, CHANGE_LABELS, undefined, context.skipRows);
  const rounding = labelledAmount(layout, ROUNDING_LABELS, undefined, context.skipRows)?.value ?? 0;
  // Without a change line, what was handed over is what was paid.
  const changeLine = layout.rows.some((row) => CHANGE_LABELS.some((label) => label.test(row.text)));
  const paid =
    cash === null
      ? null
      : change === null
        ? changeLine
          ? null
          : cash.value
        : cash.value >= change.value
          ? round(cash.value - change.value)
          : null;
  const { subtotal, tax } = context;
  const added = (context.taxIncluded ? 0 : (tax ?? 0)) + rounding;
  // A subtotal with nothing added to it agrees with any line that repeats it: no evidence.
  const sums = [paid, subtotal === null || added === 0 ? null : round(subtotal + added)].filter(
    (value): value is number => value !== null && value > 0,
  );
  const printed = findAmounts(layout.text).map((amount) => amount.value);

  const scored = candidates.map((candidate, index) => {
    const value = candidate.found.value;
    const agrees = sums.some((sum) => same(sum, value));
    const repeats = printed.filter((amount) => same(amount, value)).length - 1;
    // Later lines win ties: the final total sits below the running ones.
    return { candidate, agrees, score: candidate.strength + (agrees ? 2 : 0) + 0.5 * Math.min(2, repeats) + 0.01 * index };
  });
  const best = scored.sort((a, b) => b.score - a.score)[0];
  if (best !== undefined) {
    const { found } = best.candidate;
    // A total the change disagrees with by one digit was misread; cash and change were read twice as often.
    if (!best.agrees && paid !== null && change !== null && change.value > 0 && oneDigitApart(paid, found.value)) {
      return { value: paid, evidence: { ...change.evidence, confidence: round(change.evidence.confidence * 0.7) }, row: found.row };
    }
    const trust = PLACEMENT_TRUST[found.where] * (best.agrees ? 1 : 0.85);
    return { value: found.value, evidence: evidence(found.words, trust, found.label), row: found.row };
  }
  // No total line was read: what the customer paid, when the page prints that amount too.
  if (paid !== null && paid > 0 && printed.filter((amount) => same(amount, paid)).length > 0 && cash !== null) {
    return { value: paid, evidence: { ...cash.evidence, confidence: round(cash.evidence.confidence * 0.6) }, row: cash.row };
  }
  // A total line read without its amount, on a page that adds nothing to the subtotal.
  const subtotalRow = subtotal === null ? undefined : layout.rows.find((row) => SUBTOTAL_LABELS.some((label) => label.test(row.text)));
  if (
    subtotal !== null &&
    added === 0 &&
    subtotalRow !== undefined &&
    layout.rows.some(
      (row) => row.index > subtotalRow.index && !PARTIAL.test(row.text) && FINAL_LABELS.some(([label]) => label.test(row.text)),
    )
  ) {
    return { value: subtotal, evidence: { confidence: 0.5, text: subtotalRow.text }, row: subtotalRow.index };
  }
  return null;
}

const INCLUDED_TAX =
  /\b(gst|vat|tax|btw|mwst|tva|iva)\s+incl(uded|\.)?\b|\bincl(usive|uding|\.)?\s+(of\s+)?(gst|vat|tax|btw|mwst|tva|iva)\b|\binkl\.?\s+mwst\b/i;

/** Whether the page states that its tax is included in the prices (so it adds nothing to the total). */
export const taxIncluded = (text: string): boolean => INCLUDED_TAX.test(text);

const round = (value: number): number => Math.round(value * 100) / 100;

export interface Totals {
  subtotal: LabelledValue<number> | null;
  tax: LabelledValue<number> | null;
  total: LabelledValue<number> | null;
}

/** The totals block: subtotal and tax by their labels, the total by evidence. `skipRows` are the items. */
export function readTotals(layout: Layout, skipRows: ReadonlySet<number>): Totals {
  const subtotal = labelledAmount(layout, SUBTOTAL_LABELS, undefined, skipRows);
  const tax = labelledAmount(layout, TAX_LABELS, TAX_EXCLUDE, skipRows);
  const total = chooseTotal(layout, {
    skipRows,
    subtotal: subtotal?.value ?? null,
    tax: tax?.value ?? null,
    taxIncluded: taxIncluded(layout.text),
  });
  // A registration number read beside a tax label is not the tax: no tax is as large as the total.
  const plausibleTax = tax !== null && total !== null && tax.value >= total.value ? null : tax;
  return { subtotal, tax: plausibleTax, total };
}
