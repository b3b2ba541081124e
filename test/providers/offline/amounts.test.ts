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
  const currencyIn = (text: string, onTotal: string | null = null): ReturnType<typeof detectCurrency> =>
    detectCurrency(
      text,
      findAmounts(text).flatMap((amount) => (amount.hasCents && amount.marker !== null ? [amount.marker] : [])),
      onTotal,
    );

  it('picks the most printed currency, counting a code twice', () => {
    expect(currencyIn('Subtotal €10.00\nVAT €2.00\nTotal €12.00')).toMatchObject({ code: 'EUR', marker: '€' });
    expect(currencyIn('Price $5.00 and $6.00, total GBP 11.00 GBP')?.code).toBe('GBP');
  });

  it('tells C$ and A$ from $, and RM is Malaysian ringgit', () => {
    expect(currencyIn('Sub C$12.90\nTotal C$127.90')?.code).toBe('CAD');
    expect(currencyIn('Sub A$12.90\nTotal A$127.90')?.code).toBe('AUD');
    expect(currencyIn('Sub $12.90\nTotal $127.90')?.code).toBe('USD');
    expect(currencyIn('Bacon  RM4.90\nTOTAL  RM1. 38')?.code).toBe('MYR');
    expect(currencyIn('Desc  Amt (RM)\nBread  4.90')?.code).toBe('MYR');
  });

  it('counts a symbol on the total as much as a code, and a lone $ only with low confidence', () => {
    const dollar = currencyIn('Coffee 10.75\nTotal $11.64', '$');
    expect(dollar?.code).toBe('USD');
    expect(dollar?.agreement).toBeLessThanOrEqual(0.25);
    expect(currencyIn('Coffee 10.75\nTotal £11.64', '£')?.code).toBe('GBP');
  });

  it('does not turn one stray symbol, or symbols on numbers without cents, into a currency', () => {
    expect(currencyIn('Item promo €9.99  -5.00\nTotal 98.35')).toBeNull();
    expect(currencyIn('¥1000000163\nTotszl fmount £974  £33440')).toBeNull();
    expect(currencyIn('FORM TERM 12.00')).toBeNull();
  });

  it('returns null when no currency is printed', () => {
    expect(currencyIn('Total 127.90')).toBeNull();
  });
});
