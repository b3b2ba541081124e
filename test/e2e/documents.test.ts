/**
 * PDFs and multi-page TIFFs end to end through the local host: each generated fixture (scripts/
 * make-documents.ts) ends with one record for the whole document. With the openai provider against the
 * OpenAI-compatible test server the requests are asserted (page images in order, within
 * MAX_IMAGES_PER_REQUEST, at the profile's detail, the text layer as grounding) and a two-page invoice
 * sent page by page merges into its ground truth; with the offline provider the text layer is read in
 * place of OCR; broken, encrypted, too long and too costly documents end in permanent failure records.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoiceSchema, type InvoiceData } from '../../src/profiles/invoice.js';
import {
  deploymentEnv,
  startOpenAiCompatibleServer,
  type OpenAiCompatibleServer,
  type RecordedRequest,
} from '../support/openaiCompatibleServer.js';
import { startTestHost, type TestHost } from '../support/testHost.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/documents/${name}`, import.meta.url));
const truthOf = (path: string): InvoiceData => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as InvoiceData;
const single = truthOf('../fixtures/invoice.expected.json');
const multi = truthOf('../fixtures/documents/multipage-invoice.expected.json');
/** make-documents.ts puts the first 12 line items on page 1, the rest and the totals on page 2. */
const PAGE_ONE_ITEMS = 12;

type Part = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string; detail: string } };
const userParts = (request: RecordedRequest): Part[] => {
  const content = (request.body as { messages: { role: string; content: string | Part[] }[] }).messages.find(
    (m) => m.role === 'user',
  )?.content;
  return typeof content === 'string' ? [{ type: 'text', text: content }] : (content ?? []);
};
const imagesOf = (request: RecordedRequest): { url: string; detail: string }[] =>
  userParts(request).flatMap((part) => (part.type === 'image_url' ? [part.image_url] : []));
const textOf = (request: RecordedRequest): string =>
  userParts(request)
    .flatMap((part) => (part.type === 'text' ? [part.text] : []))
    .join('\n');

/** What a careful model answers for the pages a request carries. */
function answerFor(request: RecordedRequest): InvoiceData {
  const text = textOf(request);
  if (text.includes('INV-1042')) return single;
  const page = /The image is page (\d) of a 2-page document/.exec(text)?.[1];
  if (page === '1') return { ...multi, subtotal: null, tax: null, total: null, line_items: multi.line_items.slice(0, PAGE_ONE_ITEMS) };
  if (page === '2') return { ...multi, date: null, line_items: multi.line_items.slice(PAGE_ONE_ITEMS) };
  return multi;
}

const OPENAI_ENV = {
  MODEL_TIMEOUT_MS: '5000',
  RESULT_CACHE: 'off',
};

describe('documents end to end with the openai provider', () => {
  let server: OpenAiCompatibleServer;
  beforeAll(async () => {
    server = await startOpenAiCompatibleServer();
    server.setHandler((request) => ({ content: JSON.stringify(answerFor(request)) }));
  });
  afterAll(async () => {
    await server.close();
  });

  // One local host at a time: the Functions entry points share one current worker per process.
  describe('with MAX_IMAGES_PER_REQUEST=1', () => {
    let t: TestHost;
    beforeAll(async () => {
      t = await startTestHost({ env: { ...deploymentEnv(server.url), ...OPENAI_ENV, MAX_IMAGES_PER_REQUEST: '1' } });
    });
    afterAll(async () => {
      await t.stop();
    });

    async function analysed(name: string, bytes: Buffer) {
      const before = server.requests.length;
      await t.upload(name, bytes);
      const record = await t.waitForRecord(name, { timeoutMs: 20_000 });
      return { record, requests: server.requests.slice(before) };
    }

    it('answers a one-page invoice PDF in one request: its page image at high detail, its text layer as grounding', async () => {
      const { record, requests } = await analysed('invoices/inv-1042.pdf', fixture('invoice.pdf'));

      expect(record.status).toBe('succeeded');
      expect(record.source.mime).toBe('application/pdf');
      expect(invoiceSchema.parse(record.data)).toEqual(single);
      expect(record.detail).toBe('high');
      expect(requests).toHaveLength(1);
      const [image, ...more] = requests[0] === undefined ? [] : imagesOf(requests[0]);
      expect(more).toEqual([]);
      expect(image?.detail).toBe('high');
      expect(image?.url).toMatch(/^data:image\/png;base64,/);
      expect(textOf(requests[0] as RecordedRequest)).toMatch(/The image is the only page of a document[\s\S]*text layer[\s\S]*INV-1042/);
      expect(record.document).toMatchObject({ kind: 'pdf', pageCount: 1, pages: [{ page: 1, textLayer: true, request: 0 }] });
      expect(record.usage.imageTokensEstimated).toBe(record.document?.pages[0]?.imageTokens);
    });

    it('sends a two-page invoice page by page and merges the answers into one invoice', async () => {
      const { record, requests } = await analysed('invoices/inv-2077.pdf', fixture('multipage-invoice.pdf'));

      expect(record.status).toBe('succeeded');
      expect(invoiceSchema.parse(record.data)).toEqual(multi);
      expect(requests).toHaveLength(2);
      const pages = requests.map((request) => {
        const images = imagesOf(request);
        expect(images).toHaveLength(1);
        expect(images[0]?.detail).toBe('high');
        return Number(/The image is page (\d) of a 2-page document/.exec(textOf(request))?.[1]);
      });
      expect(pages).toEqual([1, 2]);
      expect(imagesOf(requests[0] as RecordedRequest)[0]?.url).not.toBe(imagesOf(requests[1] as RecordedRequest)[0]?.url);

      const document = record.document;
      expect(document?.requests.map((request) => request.pages)).toEqual([[1], [2]]);
      for (const request of document?.requests ?? []) expect(request.promptTokens).toBeGreaterThan(0);
      expect(document?.pages.map(({ page, request }) => [page, request])).toEqual([
        [1, 0],
        [2, 1],
      ]);
      expect(document?.fields).toMatchObject({ total: [2], 'line_items[0]': [1], [`line_items[${PAGE_ONE_ITEMS}]`]: [2] });
      expect(record.usage.promptTokens).toBe(document?.requests.reduce((sum, request) => sum + (request.promptTokens ?? 0), 0));
    });
  });

  describe('with a small DOCUMENT_TOKEN_BUDGET', () => {
    let t: TestHost;
    beforeAll(async () => {
      t = await startTestHost({ env: { ...deploymentEnv(server.url), ...OPENAI_ENV, DOCUMENT_TOKEN_BUDGET: '1000' } });
    });
    afterAll(async () => {
      await t.stop();
    });

    it('refuses a document whose estimate exceeds the budget before any call', async () => {
      const before = server.requests.length;
      await t.upload('invoices/too-costly.pdf', fixture('multipage-invoice.pdf'));
      const record = await t.waitForRecord('invoices/too-costly.pdf', { timeoutMs: 20_000 });

      expect(record.status).toBe('failed');
      expect(record.error).toMatchObject({ code: 'token_budget_exceeded', retryable: false });
      expect(record.attempt).toBe(1);
      expect(server.requests.length).toBe(before);
    });
  });
});

describe('documents end to end with the offline provider', () => {
  let t: TestHost;
  beforeAll(async () => {
    t = await startTestHost();
  });
  afterAll(async () => {
    await t.stop();
  });

  const recordOf = async (name: string, bytes: Buffer, metadata?: Record<string, string>) => {
    await t.upload(name, bytes, metadata);
    return t.waitForRecord(name, { timeoutMs: 20_000 });
  };

  it('reads an invoice PDF from its text layer, not OCR', async () => {
    const record = await recordOf('invoices/inv-1042.pdf', fixture('invoice.pdf'));

    expect(record.status).toBe('succeeded');
    expect(record.provider.name).toBe('offline');
    const data = invoiceSchema.parse(record.data);
    expect(data).toMatchObject({ invoice_number: single.invoice_number, date: single.date, total: single.total });
    expect(record.document).toMatchObject({ kind: 'pdf', pageCount: 1, pages: [{ page: 1, textLayer: true }] });
    expect(record.usage.estimatedCostUsd).toBe(0);
  });

  it('reads a two-page invoice as one page of text: the line items run over the page break, the totals from page 2', async () => {
    const record = await recordOf('invoices/inv-2077.pdf', fixture('multipage-invoice.pdf'));

    expect(record.status).toBe('succeeded');
    const data = invoiceSchema.parse(record.data);
    expect(data).toMatchObject({ invoice_number: multi.invoice_number, total: multi.total, subtotal: multi.subtotal });
    expect(data.line_items.map(({ total }) => total)).toEqual(multi.line_items.map(({ total }) => total));
    expect(record.document?.fields).toMatchObject({ total: [2], 'line_items[0]': [1] });
  });

  it('reads a scanned-only PDF (no text layer) with OCR', async () => {
    const record = await recordOf('invoices/scanned.pdf', fixture('scanned-invoice.pdf'));

    expect(record.status).toBe('succeeded');
    expect(record.document).toMatchObject({ kind: 'pdf', pageCount: 1, pages: [{ page: 1, textLayer: false }] });
    // Read by OCR from the 300 dpi page: the scanned invoice has the same ground truth as invoice.png.
    expect(invoiceSchema.parse(record.data)).toMatchObject({ invoice_number: 'INV-1042', total: 95.84 });
    expect(record.provider.info?.['ocrEngine']).toMatch(/tesseract/);
  });

  it('answers a three-page TIFF with one result covering its 3 pages', async () => {
    const record = await recordOf('scans/three-pages.tiff', fixture('three-pages.tiff'), { profile: 'describe' });

    expect(record.status).toBe('succeeded');
    expect(record.source.mime).toBe('image/tiff');
    expect(record.document?.kind).toBe('tiff');
    expect(record.document?.pageCount).toBe(3);
    expect(record.document?.pages.map(({ page, textLayer }) => [page, textLayer])).toEqual([
      [1, false],
      [2, false],
      [3, false],
    ]);
  });

  it.each([
    ['encrypted.pdf', 'pdf_encrypted'],
    ['truncated.pdf', 'pdf_corrupt'],
    ['pages-200.pdf', 'too_many_pages'],
  ])('ends %s with a permanent %s record on the first attempt', async (name, code) => {
    const record = await recordOf(`documents/${name}`, fixture(name));

    expect(record.status).toBe('failed');
    expect(record.source.mime).toBe('application/pdf');
    expect(record.error).toMatchObject({ code, retryable: false });
    expect(record.attempt).toBe(1);
  });
});
