import { describe, expect, it } from 'vitest';
import { analyseLayout } from '../../../src/providers/offline/ocrLayout.js';
import { readTotals } from '../../../src/providers/offline/totalAmount.js';
import type { OcrLine } from '../../../src/ocr/ocrPage.js';
import { line, page } from './support/pages.js';

/** Rows of "label  value" 30 px apart, the value right-aligned in a column. */
function rows(...pairs: readonly (readonly [string, string])[]): OcrLine[] {
  return pairs.flatMap(([label, value], index) => {
    const y = 100 + index * 30;
    return value === '' ? [line(60, y, label)] : [line(60, y, label), line(900 - value.length * 9.6, y, value)];
  });
}

const totalOf = (...pairs: readonly (readonly [string, string])[]): number | null =>
  readTotals(analyseLayout(page(rows(...pairs))), new Set()).total?.value ?? null;

describe('readTotals', () => {
  it('never takes the Total row of a tax summary table below the total', () => {
    expect(
      totalOf(
        ['Sub-total', '10.20'],
        ['Total Sales Incl GST', '10.20'],
        ['Total After Adj Incl GST', '10.20'],
        ['CASH', '10.20'],
        ['GST Summary  Amount  Tax', ''],
        ['SR @ 6%', '9.62  0.56'],
        ['Total', '9.62  0.56'],
      ),
    ).toBe(10.2);
  });

  it('prefers the total after rounding to the one before it', () => {
    expect(
      totalOf(
        ['Sub-total', '98.37'],
        ['Total Sales Incl GST', '98.37'],
        ['Rounding Adj', '-0.02'],
        ['Total After Adj Incl GST', '98.35'],
        ['CASH', '100.00'],
        ['Change Amt', '1.65'],
      ),
    ).toBe(98.35);
  });

  it('corrects a total misread by one digit when cash minus change says otherwise', () => {
    expect(
      totalOf(
        ['Sub-Total', '45.70'],
        ['Coupon Discount', '14.80'],
        ['Grand Total', '30.50'],
        ['Payment', '101.00'],
        ['Change Due', '70.10'],
      ),
    ).toBe(30.9);
  });

  it('keeps a total that cash and change do not contradict', () => {
    expect(totalOf(['Subtotal', '10.75'], ['Sales tax 8.25%', '0.89'], ['Total', '11.64'], ['CASH', '20.00'], ['CHANGE', '8.36'])).toBe(
      11.64,
    );
  });

  it('reads what was paid when no total line was read', () => {
    expect(totalOf(['SUB TOTAL (Inc GST)', '18.8'], ['CASH', '50.00'], ['CHANGE', '31.20'])).toBe(18.8);
  });

  it('knows the labels of the amount to pay in Dutch, German, French and Spanish', () => {
    expect(totalOf(['Subtotaal', '100,00'], ['BTW 21%', '21,00'], ['Totaal', '121,00'])).toBe(121);
    expect(totalOf(['Zwischensumme', '100,00'], ['MwSt 19%', '19,00'], ['Gesamtbetrag', '119,00'])).toBe(119);
    expect(totalOf(['Total HT', '100,00'], ['TVA 20%', '20,00'], ['Net à payer', '120,00'])).toBe(120);
    expect(totalOf(['Base imponible', '100,00'], ['IVA 21%', '21,00'], ['Importe total', '121,00'])).toBe(121);
  });

  it('does not take a subtotal, a tax total or an item count for the total', () => {
    expect(totalOf(['Subtotal', '40.00'], ['Tax total', '4.00'], ['Total items', '3'])).toBeNull();
  });
});

describe('readTotals without a readable total line', () => {
  it('skips a charge line of nothing and takes cash minus change', () => {
    expect(totalOf(['CASH', '20.00'], ['CHANGE', '0.00'], ['TOTAL LOADING CHARGES', '0.00'])).toBe(20);
  });

  it('takes the cash handed over when the page prints no change line', () => {
    expect(totalOf(['Bacon', 'RM4.90'], ['Walnut Raisin', 'RM8.60'], ['CASH', 'RM20.40'])).toBe(20.4);
  });
});
