import { z } from 'zod';
import type { Profile } from './types.js';
import { strictJsonSchema } from './strictJsonSchema.js';
import {
  checkCurrencyCode,
  checkDocumentDate,
  checkLinesAgainstSubtotal,
  checkLineTotals,
  differs,
  invoiceLineSchema,
  isoDate,
  round2,
} from './invoice.js';

const CLOCK_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

/** 24-hour HH:MM (checked here rather than sent as a `pattern`, like `isoDate`). */
const clockTime = z.string().refine((value) => CLOCK_TIME.test(value), 'expected a time as HH:MM (24-hour)');

const money = z.number().nullable();

export const receiptSchema = z.strictObject({
  merchant: z.string().nullable().describe('The shop or business that issued the receipt'),
  date: isoDate.nullable().describe('Purchase date as YYYY-MM-DD'),
  time: clockTime.nullable().describe('Purchase time as HH:MM, 24-hour'),
  currency: z.string().nullable().describe('ISO 4217 code such as USD or EUR'),
  items: z.array(invoiceLineSchema),
  subtotal: money,
  tax: money,
  tip: money,
  total: money,
  payment_method: z.string().nullable().describe('How it was paid, e.g. Cash, Visa, Mastercard, Debit card'),
});

export type ReceiptData = z.infer<typeof receiptSchema>;

/** The same arithmetic as for invoices, plus the tip: subtotal + tax + tip = total (a missing tax or tip counts as 0). */
export function checkReceipt(data: ReceiptData): string[] {
  const warnings = [...checkLineTotals(data.items, 'items'), ...checkLinesAgainstSubtotal(data.items, data.subtotal)];
  if (data.subtotal !== null && data.total !== null) {
    const expected = data.subtotal + (data.tax ?? 0) + (data.tip ?? 0);
    if (differs(expected, data.total)) {
      const parts = [
        `subtotal ${data.subtotal}`,
        ...(data.tax === null ? [] : [`tax ${data.tax}`]),
        ...(data.tip === null ? [] : [`tip ${data.tip}`]),
      ];
      warnings.push(
        parts.length === 1
          ? `subtotal ${data.subtotal} differs from total ${data.total} and no tax or tip is given`
          : `${parts.join(' + ')} = ${round2(expected)}, but total is ${data.total}`,
      );
    }
  }
  return [...warnings, ...checkCurrencyCode(data.currency), ...checkDocumentDate(data.date)];
}

export const receiptProfile: Profile<ReceiptData> = {
  name: 'receipt',
  description: 'Merchant, date and time, currency, items, subtotal, tax, tip, total and payment method, with arithmetic checks',
  system:
    'You extract data from till and card receipts. Copy values exactly as printed; normalise the date to ' +
    'YYYY-MM-DD, the time to 24-hour HH:MM and amounts to plain numbers without currency symbols or ' +
    'thousands separators. Use null for a field that is not on the receipt; never invent values. Answer ' +
    'only with JSON that matches the given schema.',
  user: 'Extract the receipt data from this image.',
  schema: receiptSchema,
  jsonSchema: strictJsonSchema(receiptSchema),
  detail: 'high',
  maxOutputTokens: 1200,
  prepare: { format: 'png' },
  check: checkReceipt,
};
