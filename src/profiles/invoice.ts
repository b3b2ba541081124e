import { z } from 'zod';
import type { Profile } from './types.js';
import { strictJsonSchema } from './strictJsonSchema.js';

const ISO_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** A calendar date as YYYY-MM-DD (checked here, not sent as a `pattern`: not every API version accepts one). */
export const isoDate = z
  .string()
  .refine((value) => ISO_DATE.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)), 'expected a date as YYYY-MM-DD');

const money = z.number().nullable();

export const invoiceLineSchema = z.strictObject({
  description: z.string(),
  quantity: z.number().nullable(),
  unit_price: money,
  total: money,
});

export const invoiceSchema = z.strictObject({
  vendor: z.string().nullable().describe('The issuer of the invoice'),
  invoice_number: z.string().nullable(),
  date: isoDate.nullable().describe('Invoice date as YYYY-MM-DD'),
  currency: z.string().nullable().describe('ISO 4217 code such as USD or EUR'),
  subtotal: money,
  tax: money,
  total: money,
  line_items: z.array(invoiceLineSchema),
});

export type InvoiceData = z.infer<typeof invoiceSchema>;

/** Amounts are compared to the cent; rounding on printed invoices rarely differs by more. */
const TOLERANCE = 0.015;

export const differs = (a: number, b: number): boolean => Math.abs(a - b) > TOLERANCE;
export const round2 = (n: number): number => Math.round(n * 100) / 100;

export type InvoiceLine = z.infer<typeof invoiceLineSchema>;

/** quantity x unit_price = total on every line; `path` names the array in the messages. */
export function checkLineTotals(lines: readonly InvoiceLine[], path: string): string[] {
  const warnings: string[] = [];
  lines.forEach((line, index) => {
    if (line.quantity !== null && line.unit_price !== null && line.total !== null && differs(line.quantity * line.unit_price, line.total)) {
      warnings.push(
        `${path}[${index}]: quantity ${line.quantity} x unit_price ${line.unit_price} = ${round2(line.quantity * line.unit_price)}, but total is ${line.total}`,
      );
    }
  });
  return warnings;
}

/** The line totals add up to the subtotal (only when every line has a total). */
export function checkLinesAgainstSubtotal(lines: readonly InvoiceLine[], subtotal: number | null): string[] {
  const lineTotals = lines.map((line) => line.total);
  if (subtotal === null || lineTotals.length === 0 || !lineTotals.every((t): t is number => t !== null)) return [];
  const sum = lineTotals.reduce((a, b) => a + b, 0);
  return differs(sum, subtotal) ? [`sum of line totals ${round2(sum)} differs from subtotal ${subtotal}`] : [];
}

export function checkCurrencyCode(currency: string | null): string[] {
  return currency !== null && !/^[A-Z]{3}$/.test(currency) ? [`currency "${currency}" is not an ISO 4217 code`] : [];
}

export function checkDocumentDate(date: string | null): string[] {
  if (date === null) return [];
  const year = Number(date.slice(0, 4));
  const now = new Date().getUTCFullYear();
  return year < 1990 || year > now + 1 ? [`date ${date} is outside the plausible range 1990..${now + 1}`] : [];
}

/** Arithmetic the document must satisfy; a disagreement is a warning, never a silent pass. */
export function checkInvoice(data: InvoiceData): string[] {
  const warnings = [...checkLineTotals(data.line_items, 'line_items'), ...checkLinesAgainstSubtotal(data.line_items, data.subtotal)];
  if (data.subtotal !== null && data.tax !== null && data.total !== null && differs(data.subtotal + data.tax, data.total)) {
    warnings.push(`subtotal ${data.subtotal} + tax ${data.tax} = ${round2(data.subtotal + data.tax)}, but total is ${data.total}`);
  }
  return [...warnings, ...checkCurrencyCode(data.currency), ...checkDocumentDate(data.date)];
}

export const invoiceProfile: Profile<InvoiceData> = {
  name: 'invoice',
  description: 'Vendor, invoice number, date, currency, subtotal, tax, total and line items, with arithmetic checks',
  system:
    'You extract data from invoices. Copy values exactly as printed; normalise the date to YYYY-MM-DD and ' +
    'amounts to plain numbers without currency symbols or thousands separators. Use null for a field that ' +
    'is not on the document; never invent values. Answer only with JSON that matches the given schema.',
  user: 'Extract the invoice data from this image.',
  schema: invoiceSchema,
  jsonSchema: strictJsonSchema(invoiceSchema),
  detail: 'high',
  maxOutputTokens: 1500,
  prepare: { format: 'png' },
  check: checkInvoice,
};
