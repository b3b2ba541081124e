/** Arithmetic and sanity checks that turn invoice and receipt numbers into warnings instead of silent passes. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkInvoice, invoiceSchema, type InvoiceData } from '../../src/profiles/invoice.js';
import { checkReceipt, type ReceiptData } from '../../src/profiles/receipt.js';

/** The invoice the fixture image shows (test/fixtures/invoice.png). */
const invoice: InvoiceData = invoiceSchema.parse(
  JSON.parse(readFileSync(new URL('../fixtures/invoice.expected.json', import.meta.url), 'utf8')),
);

const receipt: ReceiptData = {
  merchant: 'Corner Café',
  date: '2024-05-02',
  time: '08:41',
  currency: 'EUR',
  items: [
    { description: 'Cappuccino', quantity: 2, unit_price: 3.2, total: 6.4 },
    { description: 'Croissant', quantity: 1, unit_price: 2.5, total: 2.5 },
  ],
  subtotal: 8.9,
  tax: 0.62,
  tip: 1,
  total: 10.52,
  payment_method: 'Visa',
};

describe('checkInvoice', () => {
  it('passes consistent data (sums in floating point within a cent)', () => {
    expect(checkInvoice(invoice)).toEqual([]);
  });

  it('warns about a line whose quantity x unit price is not its total', () => {
    const lines = invoice.line_items.map((line, i) => (i === 1 ? { ...line, total: 19.75 } : line));
    expect(checkInvoice({ ...invoice, line_items: lines, subtotal: 89.74, total: 96.84 })).toEqual([
      'line_items[1]: quantity 3 x unit_price 6.25 = 18.75, but total is 19.75',
    ]);
  });

  it('warns when the lines do not add up to the subtotal', () => {
    expect(checkInvoice({ ...invoice, subtotal: 80, total: 87.1 })).toEqual(['sum of line totals 88.74 differs from subtotal 80']);
  });

  it('warns when subtotal + tax is not the total', () => {
    expect(checkInvoice({ ...invoice, total: 100 })).toEqual(['subtotal 88.74 + tax 7.1 = 95.84, but total is 100']);
  });

  it('skips sums it cannot do (missing values) rather than guessing', () => {
    const lines = invoice.line_items.map((line, i) => (i === 0 ? { ...line, total: null } : line));
    expect(checkInvoice({ ...invoice, line_items: lines, tax: null })).toEqual([]);
  });

  it('warns about a currency that is not an ISO code and an implausible date', () => {
    expect(checkInvoice({ ...invoice, currency: '$', date: '1899-12-31' })).toEqual([
      'currency "$" is not an ISO 4217 code',
      `date 1899-12-31 is outside the plausible range 1990..${new Date().getUTCFullYear() + 1}`,
    ]);
  });
});

describe('checkReceipt', () => {
  it('passes consistent data, tip included', () => {
    expect(checkReceipt(receipt)).toEqual([]);
  });

  it('warns when subtotal + tax + tip is not the total', () => {
    expect(checkReceipt({ ...receipt, total: 9.52 })).toEqual(['subtotal 8.9 + tax 0.62 + tip 1 = 10.52, but total is 9.52']);
  });

  it('counts a missing tip or tax as zero', () => {
    expect(checkReceipt({ ...receipt, tip: null, total: 9.52 })).toEqual([]);
    expect(checkReceipt({ ...receipt, tip: null, tax: null, total: 9.52 })).toEqual([
      'subtotal 8.9 differs from total 9.52 and no tax or tip is given',
    ]);
  });

  it('warns about items that do not multiply out or add up', () => {
    const items = receipt.items.map((item, i) => (i === 0 ? { ...item, quantity: 3 } : item));
    expect(checkReceipt({ ...receipt, items })).toEqual(['items[0]: quantity 3 x unit_price 3.2 = 9.6, but total is 6.4']);
    expect(checkReceipt({ ...receipt, subtotal: 9.9, total: 11.52 })).toEqual(['sum of line totals 8.9 differs from subtotal 9.9']);
  });
});
