import { describe, expect, it } from 'vitest';
import { findAmounts, parseAmount } from '../../../src/providers/offline/amounts.js';
import { detectCurrency } from '../../../src/providers/offline/currency.js';

describe('parseAmount', () => {
  it.each([
    ['1,234.56', 1234.56],
    ['1.234,56', 1234.56],
    ["1'234.50", 1234.5],
    ['12,50', 12.5],
    ['1234.56', 1234.56],
    ['1,234,567.89', 1234567.89],
    ['1.234.567,89', 1234567.89],
    ['€1,333.98', 1333.98],
    ['27,75 €', 27.75],
    ['EUR 1.234,56', 1234.56],
    ['C$127.90', 127.9],
    ['-12.00', -12],
    [': 42.10', 42.1],
  ])('reads %s as %d', (text, value) => {
    expect(parseAmount(text)?.value).toBe(value);
  });

  it('treats a lone separator before three digits as thousands, before two as decimals', () => {
    expect(parseAmount('1,234')?.value).toBe(1234);
    expect(parseAmount('1.234')?.value).toBe(1234);
    expect(parseAmount('1,5')).toMatchObject({ value: 1.5, hasCents: false });
    expect(parseAmount('3.50')).toMatchObject({ value: 3.5, hasCents: true });
  });

  it('reports the currency printed beside the amount', () => {
    expect(parseAmount('£2,355.28')?.currency).toBe('GBP');
    expect(parseAmount('1.234,56 €')?.currency).toBe('EUR');
    expect(parseAmount("CHF 19'434.25")?.currency).toBe('CHF');
    expect(parseAmount('A$99.00')?.currency).toBe('AUD');
    expect(parseAmount('42.00')?.currency).toBeNull();
  });

  it('rejects text that is more than one amount', () => {
    expect(parseAmount('Coffee 3.50')).toBeNull();
    expect(parseAmount('1.00 2.00')).toBeNull();
  });

  it('fixes O read for 0 between digits', () => {
    expect(parseAmount('1,2O4.5O')?.value).toBe(1204.5);
  });
});

describe('findAmounts', () => {
  it('skips percentages, dates, times, phone numbers and identifiers', () => {
    const text = 'VAT 20% on 05.03.2024 at 14:32, tel 555-1234, INV-2024-0042 A-7781 2024/118 total 12.00';
    expect(findAmounts(text).map((amount) => amount.value)).toEqual([12]);
  });

  it('keeps each amount with its position, so the words it came from can be found', () => {
    const text = 'Net 100.00  Tax 20.00';
    const found = findAmounts(text);
    expect(found.map((amount) => text.slice(amount.start, amount.end))).toEqual(['100.00', '20.00']);
  });

  it('does not take a three-letter word that is not a currency as part of the amount', () => {
    const text = 'TAX 1.20';
    const [amount] = findAmounts(text);
    expect(text.slice(amount?.start, amount?.end)).toBe('1.20');
    expect(amount?.currency).toBeNull();
  });
});

describe('detectCurrency', () => {
  it('picks the most printed currency, counting a code twice', () => {
    expect(detectCurrency('Subtotal €10.00\nVAT €2.00\nTotal €12.00')).toMatchObject({ code: 'EUR', agreement: 1, marker: '€' });
    expect(detectCurrency('Price $5.00 and $6.00, total GBP 11.00 GBP')?.code).toBe('GBP');
  });

  it('tells C$ and A$ from $', () => {
    expect(detectCurrency('Total C$127.90')?.code).toBe('CAD');
    expect(detectCurrency('Total A$127.90')?.code).toBe('AUD');
    expect(detectCurrency('Total $127.90')?.code).toBe('USD');
  });

  it('returns null when no currency is printed', () => {
    expect(detectCurrency('Total 127.90')).toBeNull();
  });
});
