import { describe, expect, it } from 'vitest';
import { invoiceSchema } from '../../../src/profiles/invoice.js';
import { extractInvoice } from '../../../src/providers/offline/extractInvoice.js';
import type { OcrPage } from '../../../src/ocr/ocrPage.js';
import { invoiceFixture } from './support/fixtures.js';
import { line, page } from './support/pages.js';

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

describe('extractInvoice in other languages', () => {
  const invoice = (rows: readonly (readonly [string, string])[]): ReturnType<typeof extractInvoice> =>
    extractInvoice(
      page(
        rows.flatMap(([label, value], index) => {
          const y = 100 + index * 34;
          return value === '' ? [line(60, y, label)] : [line(60, y, label), line(700, y, value)];
        }),
      ),
    );

  it('reads a Dutch invoice: Factuurnummer, Factuurdatum with a month name, Totaal, no service period as the date', () => {
    const { data } = invoice([
      ['Van Dijk Installaties B.V.', ''],
      ['FACTUUR', ''],
      ['Klantreferentie:', 'K-88812'],
      ['Factuurnummer:', '2024-0193'],
      ['Periode:', '1 februari 2024'],
      ['Factuurdatum:', '12 maart 2024'],
      ['Vervaldatum:', '11 april 2024'],
      ['Subtotaal', '€ 1.000,00'],
      ['BTW 21%', '€ 210,00'],
      ['Totaal', '€ 1.210,00'],
    ]);
    expect(data).toMatchObject({
      vendor: 'Van Dijk Installaties B.V.',
      invoice_number: '2024-0193',
      date: '2024-03-12',
      subtotal: 1000,
      tax: 210,
      total: 1210,
      currency: 'EUR',
    });
  });

  it('reads a German invoice: Rechnungs-Nr., Rechnungsdatum, Gesamtbetrag, and not the Lieferdatum', () => {
    const { data } = invoice([
      ['Müller Werkzeuge GmbH', ''],
      ['Rechnung', ''],
      ['Lieferdatum:', '28.02.2024'],
      ['Rechnungs-Nr.:', 'RE-55012'],
      ['Rechnungsdatum:', '5. März 2024'],
      ['Zwischensumme', '500,00 EUR'],
      ['MwSt 19%', '95,00 EUR'],
      ['Gesamtbetrag', '595,00 EUR'],
    ]);
    expect(data).toMatchObject({
      vendor: 'Müller Werkzeuge GmbH',
      invoice_number: 'RE-55012',
      date: '2024-03-05',
      total: 595,
      currency: 'EUR',
    });
  });

  it('reads French and Spanish labels', () => {
    expect(
      invoice([
        ['Atelier Lumière SARL', ''],
        ['Facture n°', 'F-2024-118'],
        ['Date de facture', '14 juillet 2024'],
        ['Total HT', '100,00 €'],
        ['TVA 20%', '20,00 €'],
        ['Total TTC', '120,00 €'],
      ]).data,
    ).toMatchObject({ invoice_number: 'F-2024-118', date: '2024-07-14', total: 120 });
    expect(
      invoice([
        ['Distribuciones Sol S.L.', ''],
        ['Número de factura:', 'A-7731'],
        ['Fecha:', '5 de marzo de 2024'],
        ['Base imponible', '100,00 €'],
        ['IVA 21%', '21,00 €'],
        ['Importe total', '121,00 €'],
      ]).data,
    ).toMatchObject({ vendor: 'Distribuciones Sol S.L.', invoice_number: 'A-7731', date: '2024-03-05', total: 121 });
  });
});
