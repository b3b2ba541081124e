/** Invoice fields from an OCR page, by layout rules: labels and the values beside or below them. */
import type { InvoiceData } from '../../profiles/invoice.js';
import { checkInvoice, differs } from '../../profiles/invoice.js';
import type { FieldEvidence } from '../types.js';
import { dateOrderOf, findDates } from './dates.js';
import type { Extraction, LabelledValue } from './fieldRules.js';
import { assign, currencyOf, labelledDate } from './fieldRules.js';
import { issuer } from './issuerName.js';
import { readTotals } from './totalAmount.js';
import { readItems } from './lineItems.js';
import type { Layout, Parser } from './ocrLayout.js';
import { PLACEMENT_TRUST, analyseLayout, evidence, findLabelled } from './ocrLayout.js';
import type { OcrPage } from '../../ocr/ocrPage.js';

/** Rows below the items: the totals block. */
export const TOTALS_START =
  /^(sub[\s-]?total|total|net\s+(amount|total)|amount\s+due|balance|grand\s+total|vat|tax|gst|hst|sales\s+tax|subtotaal|totaal|btw|zwischensumme|summe|gesamt\w*|netto\w*|mwst|ust|sous[\s-]total|tva|net\s+[àa]\s+payer|base\s+imponible|iva|importe)\b/i;

const NUMBER_LABELS: readonly { label: RegExp; where: readonly ('inline' | 'right' | 'below')[] }[] = [
  // OCR reads "No" as "Mo" or "N0" and drops letters at word ends ("Numbe"): the labels allow for it.
  { label: /\b[il1]nv(oice|olce)?\.?\s*([nm][o0a]\b\.?|numb?e?r?\b|nr\b\.?|#)\s*[:.]?/i, where: ['inline', 'right', 'below'] },
  // Dutch, German, French and Spanish: Factuurnummer, Factuurnr., Rechnungsnummer, Rechnungs-Nr.,
  // Facture n°, N° de facture, Número de factura, Nº factura.
  {
    label:
      /\b(factuur\s*(nummer|nr\.?|no\.?)|rechnungs[\s-]?(nummer|nr\.?)|re\.?[\s-]?nr\.?|facture\s*(n[°o]|num[ée]ro)|n[°o]\s*(de\s+)?facture|n[úu]mero\s+de\s+factura|n[°ºo]\.?\s*(de\s+)?factura|factura\s*(n[°ºo]\.?|n[úu]m\.?))\s*[:.]?/i,
    where: ['inline', 'right', 'below'],
  },
  { label: /^([nm][o0]\.?|numb?e?r?|nummer|n[°º]|#)\s*[:.]?$/i, where: ['right', 'below'] },
  { label: /^(tax\s+)?(invoice|factuur|rechnung|facture|factura)\b\s*[:#]?/i, where: ['inline'] },
  // A reference is the invoice's number only when nothing says so more plainly: it is often the customer's.
  { label: /^ref(erence|erentie|erenz|\.)?(\s*no\.?)?\s*[:.]?$/i, where: ['right', 'below'] },
];

/**
 * An identifier: the first token with a digit in it that is not a date. Single characters before it
 * are skipped: OCR often reads the colon of "Invoice No  : 2023/802" as "1", "i" or "+".
 */
const invoiceNumberParser: Parser<string> = (text) => {
  for (const match of text.matchAll(/\S+/g)) {
    const token = match[0].replace(/^[:#.]+|[.,;:_]+$/g, '');
    if (match[0].length === 1 || /^(no|nr|number|#)\.?:?$/i.test(match[0])) continue;
    if (!/^[A-Za-z0-9][A-Za-z0-9\-/._]{1,29}$/.test(token) || !/\d/.test(token) || findDates(token, 'DMY').length > 0) return null;
    const start = match.index + match[0].indexOf(token);
    return { value: token, start, end: start + token.length };
  }
  return null;
};

const DATE_LABEL =
  /\b(invoice\s+date|date\s+of\s+issue|issue\s+date|date\s+issued|issued(\s+on)?|dated|date|factuurdatum|datum|rechnungsdatum|date\s+de\s+(la\s+)?facture|fecha(\s+de\s+(la\s+)?factura)?)\b/i;
/** Dates that are not the date of issue: due, delivery, order, service period — in the five languages. */
const NOT_INVOICE_DATE =
  /\b(due|delivery|order|ship(ping)?|paid|period|valid|expir\w*|payment|supply|service|vervaldatum|verval|leverdatum|levering|periode|f[äa]llig\w*|liefer\w*|leistungs\w*|zeitraum|[ée]ch[ée]ance|livraison|p[ée]riode|vencimiento|entrega|periodo)\b/i;

function invoiceNumber(layout: Layout): LabelledValue<string> | null {
  for (const { label, where } of NUMBER_LABELS) {
    const [found] = findLabelled(layout, { label, where, parse: invoiceNumberParser });
    if (found !== undefined)
      return { value: found.value, evidence: evidence(found.words, PLACEMENT_TRUST[found.where], found.label), row: found.row };
  }
  return null;
}

export function extractInvoice(page: OcrPage): Extraction<InvoiceData> {
  const layout = analyseLayout(page);
  const found: Record<string, FieldEvidence> = {};
  const table = readItems(layout, TOTALS_START, /^$/, 'line_items');
  const totals = readTotals(layout, table.rows);
  const currency = assign(found, 'currency', currencyOf(layout, totals.total));
  const order = dateOrderOf(layout.text, currency);
  const data: InvoiceData = {
    vendor: assign(found, 'vendor', issuer(layout)),
    invoice_number: assign(found, 'invoice_number', invoiceNumber(layout)),
    date: assign(found, 'date', labelledDate(layout, DATE_LABEL, NOT_INVOICE_DATE, order)),
    currency,
    subtotal: assign(found, 'subtotal', totals.subtotal),
    tax: assign(found, 'tax', totals.tax),
    total: assign(found, 'total', totals.total),
    line_items: table.items,
  };
  Object.assign(found, table.evidence);
  const warnings = checkInvoice(data);
  if (data.subtotal !== null && data.tax !== null && data.total !== null && differs(data.subtotal + data.tax, data.total)) {
    distrust(found, ['subtotal', 'tax', 'total']);
  }
  return { data, evidence: found, warnings: [...warnings, ...missing(data, ['vendor', 'invoice_number', 'date', 'total'])] };
}

/** When the totals disagree at least one of them was misread: their confidence says so. */
export function distrust(found: Record<string, FieldEvidence>, fields: readonly string[]): void {
  for (const field of fields) {
    const entry = found[field];
    if (entry !== undefined) found[field] = { ...entry, confidence: Math.round(entry.confidence * 0.6 * 1000) / 1000 };
  }
}

export function missing<T extends object>(data: T, fields: readonly (keyof T & string)[]): string[] {
  const absent = fields.filter((field) => data[field] === null);
  return absent.length === 0 ? [] : [`offline OCR could not find: ${absent.join(', ')}`];
}
