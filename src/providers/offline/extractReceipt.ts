/** Receipt fields from an OCR page: the shop at the top, items above the totals, payment below them. */
import type { ReceiptData } from '../../profiles/receipt.js';
import { checkReceipt } from '../../profiles/receipt.js';
import { differs } from '../../profiles/invoice.js';
import type { FieldEvidence } from '../types.js';
import { dateOrderOf, findTime } from './dates.js';
import { distrust, missing } from './extractInvoice.js';
import type { Extraction, LabelledValue } from './fieldRules.js';
import { assign, currencyOf, labelledAmount, labelledDate } from './fieldRules.js';
import { issuer } from './issuerName.js';
import { readTotals } from './totalAmount.js';
import { readItems } from './lineItems.js';
import type { Layout } from './ocrLayout.js';
import { analyseLayout, evidence, wordsIn } from './ocrLayout.js';
import type { OcrPage } from '../../ocr/ocrPage.js';

const TOTALS_START =
  /^(sub[\s-]?total|total|amount\s+due|balance(\s+due)?|grand\s+total|vat|tax|gst|hst|sales\s+tax|tip|gratuity|subtotaal|totaal|btw|zwischensumme|summe|gesamt\w*|mwst|sous[\s-]total|tva|iva|importe)\b/i;
/** Rows among the items that are not items. */
const NOT_ITEMS = /\b(change|cash|tendered|visa|mastercard|amex|debit|credit|card|tel|phone|receipt\s*#|order\s*#|table|server|cashier)\b/i;
const TIP_LABELS = [/\b(tip|gratuity)\b/i];
const DATE_LABEL = /\b(date|dated)\b/i;
const NOT_PURCHASE_DATE = /\b(expir\w*|valid|return\s+by|best\s+before)\b/i;

const PAYMENTS: readonly (readonly [RegExp, string])[] = [
  [/\b(amex|american\s+express)\b/i, 'American Express'],
  [/\bvisa\b/i, 'Visa'],
  [/\b(mastercard|master\s+card)\b/i, 'Mastercard'],
  [/\bmaestro\b/i, 'Maestro'],
  [/\bdiscover\b/i, 'Discover'],
  [/\b(apple\s+pay)\b/i, 'Apple Pay'],
  [/\b(google\s+pay)\b/i, 'Google Pay'],
  [/\bdebit\b/i, 'Debit card'],
  [/\bcredit\s+card\b/i, 'Credit card'],
  [/\bcash\b/i, 'Cash'],
];

function paymentMethod(layout: Layout): LabelledValue<string> | null {
  for (const row of layout.rows) {
    for (const segment of row.segments) {
      for (const [pattern, name] of PAYMENTS) {
        const match = pattern.exec(segment.text);
        if (match !== null)
          return { value: name, evidence: evidence(wordsIn(segment, match.index, match.index + match[0].length), 0.85), row: row.index };
      }
    }
  }
  return null;
}

function purchaseTime(layout: Layout): LabelledValue<string> | null {
  for (const row of layout.rows) {
    for (const segment of row.segments) {
      const found = findTime(segment.text);
      if (found !== null) return { value: found.time, evidence: evidence(wordsIn(segment, found.start, found.end), 0.85), row: row.index };
    }
  }
  return null;
}

export function extractReceipt(page: OcrPage): Extraction<ReceiptData> {
  const layout = analyseLayout(page);
  const found: Record<string, FieldEvidence> = {};
  const items = readItems(layout, TOTALS_START, NOT_ITEMS, 'items');
  const totals = readTotals(layout, items.rows);
  const currency = assign(found, 'currency', currencyOf(layout, totals.total));
  const order = dateOrderOf(layout.text, currency);
  const data: ReceiptData = {
    merchant: assign(found, 'merchant', issuer(layout)),
    date: assign(found, 'date', labelledDate(layout, DATE_LABEL, NOT_PURCHASE_DATE, order)),
    time: assign(found, 'time', purchaseTime(layout)),
    currency,
    items: items.items,
    subtotal: assign(found, 'subtotal', totals.subtotal),
    tax: assign(found, 'tax', totals.tax),
    total: assign(found, 'total', totals.total),
    tip: assign(found, 'tip', labelledAmount(layout, TIP_LABELS, undefined, items.rows)),
    payment_method: assign(found, 'payment_method', paymentMethod(layout)),
  };
  Object.assign(found, items.evidence);
  const warnings = checkReceipt(data);
  if (data.subtotal !== null && data.total !== null && differs(data.subtotal + (data.tax ?? 0) + (data.tip ?? 0), data.total)) {
    distrust(found, ['subtotal', 'tax', 'tip', 'total']);
  }
  return { data, evidence: found, warnings: [...warnings, ...missing(data, ['merchant', 'date', 'total'])] };
}
