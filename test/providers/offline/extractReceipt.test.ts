import { describe, expect, it } from 'vitest';
import { receiptSchema } from '../../../src/profiles/receipt.js';
import { extractReceipt } from '../../../src/providers/offline/extractReceipt.js';
import { receiptFixture } from './support/fixtures.js';
import { line, page } from './support/pages.js';

const FIXTURES = ['receipt-thermal-tip', 'receipt-thermal-cash', 'receipt-columns-usd'];

describe('extractReceipt on captured OCR output', () => {
  it.each(FIXTURES)('%s: reads the header, totals and payment, and every item', (name) => {
    const { page, expected } = receiptFixture(name);
    const { data, warnings } = extractReceipt(page);
    const { items, ...fields } = expected;
    expect(data).toMatchObject(fields);
    // Items as printed: a quantity only where the receipt shows one, never a unit price it does not show.
    expect(data.items.map((item) => [item.description, item.total])).toEqual(items.map((item) => [item.description, item.total]));
    data.items.forEach((item, index) => expect(item.quantity ?? 1).toBe(items[index]?.quantity));
    expect(receiptSchema.safeParse(data).success).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('adds the tip into the total check', () => {
    const { data } = extractReceipt(receiptFixture('receipt-thermal-tip').page);
    expect(data.tip).not.toBeNull();
    expect((data.subtotal ?? 0) + (data.tax ?? 0) + (data.tip ?? 0)).toBeCloseTo(data.total ?? 0, 2);
  });

  it('does not take the cash tendered or the change for the total or for items', () => {
    const { page, expected } = receiptFixture('receipt-thermal-cash');
    const { data, evidence } = extractReceipt(page);
    expect(data.payment_method).toBe('Cash');
    expect(data.total).toBe(expected.total);
    expect(evidence.total?.text).toMatch(/^(TOTAL|Total|AMOUNT DUE) /);
    expect(data.items).toHaveLength(expected.items.length);
  });

  it('reads items under an Item / Qty / Price header', () => {
    const { data, evidence } = extractReceipt(receiptFixture('receipt-columns-usd').page);
    expect(data.items.every((item) => item.quantity !== null)).toBe(true);
    expect(evidence['items[0].quantity']?.text).toMatch(/^\d+$/);
  });
});

describe('extractReceipt on a till roll from Malaysia', () => {
  const roll = page(
    [
      ['AEON CO. (M) BHD (126926-H)', ''],
      ['3RD FLR, AEON TAMAN MALURI SC', ''],
      ['GST ID : 002017394688', ''],
      ['BIG NUT BREAD', '2.30SR'],
      ['Sub-total', '10.20'],
      ['Total Sales Incl GST', '10.20'],
      ['Total After Adj Incl GST', 'RM10.20'],
      ['CASH', 'RM10.20'],
      ['Invoice No: 2018042210100260452', ''],
      ['GST Summary  Amount  Tax', ''],
      ['Total', '9.62  0.56'],
      ['22/04/2016 19:29  1010 026 0260452', ''],
    ].flatMap(([label = '', value = ''], index) => {
      const y = 100 + index * 30;
      return value === '' ? [line(60, y, label)] : [line(60, y, label), line(900 - value.length * 9.6, y, value)];
    }),
  );

  it('reads the company, the total above the tax summary, MYR from RM, and the year its document number agrees on', () => {
    const { data, evidence } = extractReceipt(roll);
    expect(data).toMatchObject({ merchant: 'AEON CO. (M) BHD', total: 10.2, currency: 'MYR', date: '2018-04-22' });
    expect(evidence.date?.confidence).toBeLessThan(0.95 * 0.95);
  });
});
