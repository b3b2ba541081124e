import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mergeAnswers, type ChunkAnswer } from '../../src/providers/mergeAnswers.js';
import { pageText, type PageText } from '../../src/media/pageText.js';
import type { InvoiceData } from '../../src/profiles/invoice.js';
import type { ReceiptData } from '../../src/profiles/receipt.js';

const truth = JSON.parse(
  readFileSync(new URL('../fixtures/documents/multipage-invoice.expected.json', import.meta.url), 'utf8'),
) as InvoiceData;
const NO_TEXT = new Map<number, PageText | null>();

/** A text layer of one line per string, enough for the merge's narrowing. */
const layer = (...lines: string[]): PageText =>
  pageText(
    lines.map((str, i) => ({ str, transform: [10, 0, 0, 10, 50, 700 - 20 * i], width: str.length * 5 })),
    [1, 0, 0, -1, 0, 792],
    612,
    792,
  );

const invoicePart = (pages: number[], data: Partial<InvoiceData>): ChunkAnswer => ({
  pages,
  data: { vendor: null, invoice_number: null, date: null, currency: null, subtotal: null, tax: null, total: null, line_items: [], ...data },
});

describe('mergeAnswers: invoice', () => {
  const first = truth.line_items.slice(0, 12);
  const second = truth.line_items.slice(12);

  it('concatenates line items in page order and takes header fields first, totals last', () => {
    const merged = mergeAnswers(
      'invoice',
      [
        invoicePart([1, 2], {
          vendor: truth.vendor,
          invoice_number: truth.invoice_number,
          date: truth.date,
          currency: 'USD',
          subtotal: 123.45,
          line_items: first,
        }),
        invoicePart([3], {
          vendor: truth.vendor,
          currency: 'USD',
          subtotal: truth.subtotal,
          tax: truth.tax,
          total: truth.total,
          line_items: second,
        }),
      ],
      NO_TEXT,
    );
    expect(merged.data).toEqual(truth);
    expect(merged.warnings).toEqual([]);
    // Without a text layer each field keeps the pages of the request it came from.
    expect(merged.fields).toMatchObject({
      vendor: [1, 2],
      subtotal: [3],
      total: [3],
      line_items: [1, 2, 3],
      'line_items[0]': [1, 2],
      'line_items[12]': [3],
    });
    expect(Object.keys(merged.fields).filter((key) => key.startsWith('line_items['))).toHaveLength(20);
  });

  it('keeps the first header value and warns when a later part states a different one', () => {
    const merged = mergeAnswers(
      'invoice',
      [invoicePart([1], { invoice_number: 'INV-2077' }), invoicePart([2], { invoice_number: 'INV-2078' })],
      NO_TEXT,
    );
    expect(merged.data['invoice_number']).toBe('INV-2077');
    expect(merged.warnings).toEqual(['invoice_number: page 2 says "INV-2078", page 1 says "INV-2077"; kept the first']);
  });

  it('treats an empty string like null and keeps null where no part has a value', () => {
    const merged = mergeAnswers('invoice', [invoicePart([1], { vendor: '' }), invoicePart([2], { vendor: 'Northwind' })], NO_TEXT);
    expect(merged.data['vendor']).toBe('Northwind');
    expect(merged.data['tax']).toBeNull();
    expect(merged.fields).not.toHaveProperty('tax');
    expect(merged.fields).not.toHaveProperty('line_items');
  });

  it('narrows provenance to the pages whose text layer prints the value', () => {
    const texts = new Map([
      [1, layer('Northwind Office Supply Co.', 'Invoice # INV-2077', 'A4 copy paper, 500 sheets 10 4.50 45.00')],
      [2, layer('Northwind Office Supply Co. (continued)', 'Monitor stand, adjustable 1 39.99 39.99', 'Total (USD) $1,234.50')],
    ]);
    const merged = mergeAnswers(
      'invoice',
      [
        invoicePart([1, 2], {
          vendor: 'Northwind Office Supply Co.',
          invoice_number: 'INV-2077',
          // Printed as "March 15" nowhere: no page matches, so both candidates stay.
          date: '2024-04-02',
          total: 1234.5,
          line_items: [truth.line_items[0]!, truth.line_items[19]!],
        }),
      ],
      texts,
    );
    expect(merged.fields).toEqual({
      vendor: [1, 2],
      invoice_number: [1],
      date: [1, 2],
      total: [2],
      line_items: [1, 2],
      'line_items[0]': [1],
      'line_items[1]': [2],
    });
  });

  it('re-keys evidence of array elements and keeps scalar evidence from the part whose value was kept', () => {
    const merged = mergeAnswers(
      'invoice',
      [
        {
          ...invoicePart([1], { total: 10, line_items: first.slice(0, 2) }),
          evidence: { total: { confidence: 0.5, text: '10' }, 'line_items[1].total': { confidence: 0.9, text: 'a' } },
        },
        {
          ...invoicePart([2], { total: 20, line_items: second.slice(0, 1) }),
          evidence: { total: { confidence: 0.8, text: '20' }, 'line_items[0].total': { confidence: 0.7, text: 'b' } },
        },
      ],
      NO_TEXT,
    );
    expect(merged.evidence).toEqual({
      total: { confidence: 0.8, text: '20' },
      'line_items[1].total': { confidence: 0.9, text: 'a' },
      'line_items[2].total': { confidence: 0.7, text: 'b' },
    });
  });

  it("keeps the evidence of a value set to null while no part gives the field a value, the first part's when several do", () => {
    const rejected = (value: string) => ({ confidence: 0, text: value, rejected: { value, reason: 'expected a date as YYYY-MM-DD' } });
    const parts = (secondDate: string | null): ChunkAnswer[] => [
      { ...invoicePart([1], {}), evidence: { date: rejected('15th March') } },
      {
        ...invoicePart([2], { date: secondDate }),
        evidence: { date: secondDate === null ? rejected('March') : { confidence: 0.9, text: 'x' } },
      },
    ];
    expect(mergeAnswers('invoice', parts(null), NO_TEXT).evidence).toEqual({ date: rejected('15th March') });
    // A part that read the date wins over a rejected one: its value is the one in `data`.
    expect(mergeAnswers('invoice', parts('2024-03-15'), NO_TEXT).evidence).toEqual({ date: { confidence: 0.9, text: 'x' } });
  });
});

describe('mergeAnswers: other profiles', () => {
  it('receipt: items concatenated, payment method and tip from the end', () => {
    const part = (pages: number[], data: Partial<ReceiptData>): ChunkAnswer => ({
      pages,
      data: {
        merchant: null,
        date: null,
        time: null,
        currency: null,
        items: [],
        subtotal: null,
        tax: null,
        tip: null,
        total: null,
        payment_method: null,
        ...data,
      },
    });
    const line = (description: string) => ({ description, quantity: 1, unit_price: 2, total: 2 });
    const merged = mergeAnswers(
      'receipt',
      [
        part([1], { merchant: 'Cafe', time: '09:15', items: [line('Tea')], payment_method: 'Cash?' }),
        part([2], { items: [line('Cake')], tip: 1, total: 5, payment_method: 'Visa' }),
      ],
      NO_TEXT,
    );
    expect(merged.data).toMatchObject({
      merchant: 'Cafe',
      time: '09:15',
      items: [line('Tea'), line('Cake')],
      tip: 1,
      total: 5,
      payment_method: 'Visa',
    });
  });

  it('any other profile: arrays concatenated, everything else the first value in page order', () => {
    const merged = mergeAnswers(
      'describe',
      [
        { pages: [1], data: { summary: 'A title page.', tags: ['cover'], text_found: null } },
        { pages: [2], data: { summary: 'A table.', tags: ['table'], text_found: 'Q1' } },
      ],
      NO_TEXT,
    );
    expect(merged.data).toEqual({ summary: 'A title page.', tags: ['cover', 'table'], text_found: 'Q1' });
    expect(merged.fields).toMatchObject({ summary: [1], text_found: [2], tags: [1, 2] });
    expect(merged.warnings).toEqual([]);
  });

  it('refuses an answer that is not an object', () => {
    expect(() => mergeAnswers('describe', [{ pages: [1], data: 'text' }], NO_TEXT)).toThrow(/page 1 to be an object/);
  });
});
