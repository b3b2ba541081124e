import { describe, expect, it } from 'vitest';
import { invoiceSchema } from '../../../src/profiles/invoice.js';
import { extractInvoice } from '../../../src/providers/offline/extractInvoice.js';
import type { OcrPage } from '../../../src/ocr/ocrPage.js';
import { invoiceFixture } from './support/fixtures.js';

const FIXTURES = ['invoice-classic-usd', 'invoice-stacked-eur', 'invoice-plain-usd', 'invoice-banded-eur', 'invoice-stacked-rotated'];

/** The page with every word that reads `from` replaced by `to`. */
const replaceWord = (page: OcrPage, from: string, to: string | null): OcrPage => ({
  ...page,
  lines: page.lines.map((line) => ({
    words: line.words.flatMap((word) => (word.text !== from ? [word] : to === null ? [] : [{ ...word, text: to }])),
  })),
});

describe('extractInvoice on captured OCR output', () => {
  it.each(FIXTURES)('%s: reads every field and line item', (name) => {
    const { page, expected } = invoiceFixture(name);
    const { data, warnings } = extractInvoice(page);
    expect(data).toEqual(expected);
    expect(invoiceSchema.safeParse(data).success).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('keeps evidence for every field it found, with the label it was found by', () => {
    const { page, expected } = invoiceFixture('invoice-stacked-eur');
    const { evidence } = extractInvoice(page);
    expect(Object.keys(evidence)).toEqual(
      expect.arrayContaining([
        'vendor',
        'invoice_number',
        'date',
        'currency',
        'subtotal',
        'tax',
        'total',
        'line_items[0].description',
        'line_items[0].total',
      ]),
    );
    // Stacked layout: the number sits below its label, and the evidence says which label.
    expect(evidence.invoice_number?.text).toMatch(new RegExp(`^(Invoice #|Invoice No\\.|Number) ${expected.invoice_number ?? ''}$`));
    expect(evidence.total?.text).toMatch(/^(Amount due|Total due|Balance due|Total) /);
    for (const entry of Object.values(evidence)) expect(entry.confidence).toBeGreaterThan(0.5);
  });

  it('reads label-left, value-right meta and month-first dates on a US invoice', () => {
    const { page } = invoiceFixture('invoice-classic-usd');
    const { data, evidence } = extractInvoice(page);
    expect(data.currency).toBe('USD');
    expect(evidence.date?.text).toMatch(/^(Date:|Invoice Date:|Issue date:) [A-Z][a-z]{2} \d{1,2}, \d{4}$/);
  });

  it('warns, and trusts the totals less, when they do not add up', () => {
    const { page, expected } = invoiceFixture('invoice-classic-usd');
    const printed = page.lines
      .flatMap((line) => line.words)
      .find((word) => word.text.includes((expected.total ?? 0).toLocaleString('en-US', { minimumFractionDigits: 2 })));
    expect(printed).toBeDefined();
    const before = extractInvoice(page).evidence.total?.confidence ?? 0;
    const misread = replaceWord(
      page,
      printed?.text ?? '',
      (printed?.text ?? '').replace(/\d(?=\.\d\d$)/, (digit) => String((Number(digit) + 1) % 10)),
    );
    const { data, warnings, evidence } = extractInvoice(misread);
    expect(data.total).not.toBe(expected.total);
    expect(warnings).toEqual([`subtotal ${expected.subtotal} + tax ${expected.tax} = ${expected.total}, but total is ${data.total}`]);
    // Distrusted for the sum, and no line of the page's arithmetic agrees with it either.
    expect(evidence.total?.confidence).toBeLessThanOrEqual(before * 0.6);
    expect(evidence.total?.confidence).toBeGreaterThan(0);
  });

  it('says which fields it could not find instead of guessing', () => {
    const { page, expected } = invoiceFixture('invoice-banded-eur');
    const { data, warnings } = extractInvoice(replaceWord(page, expected.invoice_number ?? '', null));
    expect(data.invoice_number).toBeNull();
    expect(warnings).toEqual(['offline OCR could not find: invoice_number']);
  });
});
