import { describe, expect, it } from 'vitest';
import { checkInvoice, type InvoiceData } from '../../src/profiles/invoice.js';
import { checkReceipt, receiptProfile, receiptSchema, type ReceiptData } from '../../src/profiles/receipt.js';

const consistent: ReceiptData = {
  merchant: 'CORNER CAFE',
  date: '2024-03-05',
  time: '14:32',
  currency: 'USD',
  items: [
    { description: 'Coffee', quantity: 2, unit_price: 1.75, total: 3.5 },
    { description: 'Bagel', quantity: 1, unit_price: 2.25, total: 2.25 },
  ],
  subtotal: 5.75,
  tax: 0.47,
  tip: 1.0,
  total: 7.22,
  payment_method: 'Visa',
};

describe('checkReceipt', () => {
  it('passes a consistent receipt', () => {
    expect(checkReceipt(consistent)).toEqual([]);
  });

  it('reports a line whose quantity times price is not its total', () => {
    const data = { ...consistent, items: [{ description: 'Coffee', quantity: 2, unit_price: 1.75, total: 3.75 }, consistent.items[1]!] };
    expect(checkReceipt(data)).toContain('items[0]: quantity 2 x unit_price 1.75 = 3.5, but total is 3.75');
  });

  it('reports items that do not add up to the subtotal', () => {
    expect(checkReceipt({ ...consistent, subtotal: 6.75, total: 8.22 })).toEqual(['sum of line totals 5.75 differs from subtotal 6.75']);
  });

  it('includes the tip in subtotal + tax + tip = total', () => {
    expect(checkReceipt({ ...consistent, total: 6.22 })).toEqual(['subtotal 5.75 + tax 0.47 + tip 1 = 7.22, but total is 6.22']);
  });

  it('counts a missing tax or tip as zero', () => {
    expect(checkReceipt({ ...consistent, tax: null, tip: null, total: 5.75 })).toEqual([]);
    expect(checkReceipt({ ...consistent, tax: null, tip: null, total: 6 })).toEqual([
      'subtotal 5.75 differs from total 6 and no tax or tip is given',
    ]);
  });

  it('reports a currency that is not an ISO code and an implausible date', () => {
    expect(checkReceipt({ ...consistent, currency: '$', date: '1970-01-01' })).toEqual([
      'currency "$" is not an ISO 4217 code',
      'date 1970-01-01 is outside the plausible range 1990..' + String(new Date().getUTCFullYear() + 1),
    ]);
  });
});

describe('receiptSchema', () => {
  it('accepts a receipt and rejects a malformed time or date', () => {
    expect(receiptSchema.safeParse(consistent).success).toBe(true);
    expect(receiptSchema.safeParse({ ...consistent, time: '2:32 PM' }).success).toBe(false);
    expect(receiptSchema.safeParse({ ...consistent, time: '24:00' }).success).toBe(false);
    expect(receiptSchema.safeParse({ ...consistent, date: '05/03/2024' }).success).toBe(false);
    expect(receiptSchema.safeParse({ ...consistent, extra: 1 }).success).toBe(false);
  });

  it('is sent as a strict JSON Schema with every key required', () => {
    const schema = receiptProfile.jsonSchema as { required: string[]; additionalProperties: boolean };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required.sort()).toEqual([
      'currency',
      'date',
      'items',
      'merchant',
      'payment_method',
      'subtotal',
      'tax',
      'time',
      'tip',
      'total',
    ]);
    expect(receiptProfile).toMatchObject({ name: 'receipt', detail: 'high', maxOutputTokens: 1200, prepare: { format: 'png' } });
  });
});

describe('checkInvoice after sharing its helpers', () => {
  it('still reports every disagreement, in the same words and order', () => {
    const invoice: InvoiceData = {
      vendor: 'Acme',
      invoice_number: 'INV-1',
      date: '1980-01-01',
      currency: 'euro',
      subtotal: 100,
      tax: 20,
      total: 125,
      line_items: [{ description: 'Widget', quantity: 2, unit_price: 40, total: 90 }],
    };
    expect(checkInvoice(invoice)).toEqual([
      'line_items[0]: quantity 2 x unit_price 40 = 80, but total is 90',
      'sum of line totals 90 differs from subtotal 100',
      'subtotal 100 + tax 20 = 120, but total is 125',
      'currency "euro" is not an ISO 4217 code',
      `date 1980-01-01 is outside the plausible range 1990..${new Date().getUTCFullYear() + 1}`,
    ]);
  });
});
