/**
 * Opening PDFs and multi-page TIFFs from the committed fixtures (scripts/make-documents.ts): page counts,
 * the limits and their codes, the text layer, and one page rendered at a time.
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { openDocument, type DocumentSource } from '../../src/documents/documentSource.js';
import type { DocumentKind } from '../../src/media/detectMediaType.js';
import { hasTextLayer } from '../../src/media/pageText.js';
import { WorkerError } from '../../src/errors.js';
import { DOCUMENT_DEFAULTS } from '../support/renderSettings.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/documents/${name}`, import.meta.url));
const LIMITS = { ...DOCUMENT_DEFAULTS, maxPages: 20, maxInputPixels: 100_000_000 };

async function withDocument<T>(name: string, kind: DocumentKind, use: (source: DocumentSource) => Promise<T>, limits = LIMITS): Promise<T> {
  const source = await openDocument(fixture(name), kind, limits);
  try {
    return await use(source);
  } finally {
    await source.close();
  }
}

async function refusal(work: Promise<unknown>): Promise<WorkerError> {
  const error = await work.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(WorkerError);
  return error as WorkerError;
}

describe('openDocument: PDFs', () => {
  it.each([
    ['invoice.pdf', 1],
    ['scanned-invoice.pdf', 1],
    ['multipage-invoice.pdf', 2],
    ['owner-encrypted.pdf', 1],
  ])('%s has %i page(s)', async (name, pages) => {
    expect(await withDocument(name, 'pdf', async (source) => source.pageCount)).toBe(pages);
  });

  it('reads the text layer in reading order, with boxes in the pixels of the requested rendering', async () => {
    const text = await withDocument('invoice.pdf', 'pdf', (source) => source.pageText(1, { width: 768, height: 994 }));
    expect(hasTextLayer(text)).toBe(true);
    const lines = text?.text.split('\n') ?? [];
    expect(lines[0]).toBe('Northwind Office Supply Co.  INVOICE');
    expect(lines).toContain('A4 copy paper, 500 sheets  10  4.50  45.00');
    expect(lines).toContain('Total (USD)  $95.84');
    expect(lines.indexOf('Total (USD)  $95.84')).toBeGreaterThan(lines.indexOf('Stapler, heavy duty  1  24.99  24.99'));
    // "INVOICE" is 24 pt bold at the right margin (x 560 pt of 612): in 768-px pixels its right edge is near 703.
    const invoice = text?.lines.flatMap((line) => line.words).find((word) => word.text === 'INVOICE');
    expect(invoice?.box.x1).toBeGreaterThan(690);
    expect(invoice?.box.x1).toBeLessThan(710);
    expect(invoice?.box.y1).toBeLessThan(100);
    expect(invoice?.confidence).toBe(1);
  });

  it('finds no text layer in a scanned PDF', async () => {
    const text = await withDocument('scanned-invoice.pdf', 'pdf', (source) => source.pageText(1, { width: 768, height: 994 }));
    expect(text?.chars).toBe(0);
    expect(hasTextLayer(text)).toBe(false);
  });

  it('renders a page at exactly the requested size, on white, as PNG', async () => {
    const png = await withDocument('invoice.pdf', 'pdf', (source) => source.renderPage(1, { width: 400, height: 518 }));
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 400, 518]);
    const { channels, isOpaque } = await sharp(png).stats();
    expect(isOpaque).toBe(true);
    // Mostly white paper with dark text: not blank, not inverted.
    expect(channels[0]?.mean).toBeGreaterThan(230);
    expect(channels[0]?.min).toBeLessThan(60);
  });

  it('renders the scan in a scanned PDF', async () => {
    const png = await withDocument('scanned-invoice.pdf', 'pdf', (source) => source.renderPage(1, { width: 768, height: 994 }));
    const { channels } = await sharp(png).stats();
    expect(channels[0]?.min).toBeLessThan(60);
  });

  it('opens a PDF encrypted with an empty user password (permissions only) and decrypts its text', async () => {
    const text = await withDocument('owner-encrypted.pdf', 'pdf', (source) => source.pageText(1, { width: 612, height: 792 }));
    expect(text?.text).toBe('Confidential: salaries 2024');
  });

  it('refuses a PDF that needs a password with pdf_encrypted', async () => {
    const error = await refusal(openDocument(fixture('encrypted.pdf'), 'pdf', LIMITS));
    expect(error.code).toBe('pdf_encrypted');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/needs (a password|one)/);
  });

  it('the encrypted fixture is a real encrypted PDF: it opens with its password', async () => {
    const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
    const pdf = await getDocument({
      data: new Uint8Array(fixture('encrypted.pdf')),
      password: 'secret',
      verbosity: 0,
      isEvalSupported: false,
    }).promise;
    const content = await (await pdf.getPage(1)).getTextContent();
    expect(content.items.map((item) => ('str' in item ? item.str : '')).join('')).toBe('Confidential: salaries 2024');
    await pdf.destroy();
  });

  it('refuses a truncated PDF with pdf_corrupt', async () => {
    const error = await refusal(openDocument(fixture('truncated.pdf'), 'pdf', LIMITS));
    expect(error.code).toBe('pdf_corrupt');
    expect(error.retryable).toBe(false);
    expect(error.details).toEqual({ bytes: fixture('truncated.pdf').length, stage: 'opened' });
  });

  it('refuses bytes that are not a PDF at all with pdf_corrupt', async () => {
    expect((await refusal(openDocument(Buffer.from('%PDF-1.7\nnothing else'), 'pdf', LIMITS))).code).toBe('pdf_corrupt');
  });

  it('refuses a page whose content cannot be parsed rather than reading what it can recover', async () => {
    const bytes = fixture('invoice.pdf');
    const start = bytes.indexOf('stream\n') + 'stream\n'.length;
    // Garbles the middle of the page's compressed content stream; the file structure stays intact.
    bytes.fill(0xff, start + 100, start + 140);
    const source = await openDocument(bytes, 'pdf', LIMITS);
    try {
      expect(source.pageCount).toBe(1);
      const error = await refusal(source.pageText(1, { width: 200, height: 259 }));
      expect(error.code).toBe('pdf_corrupt');
      expect(error.details).toMatchObject({ stage: 'read (text of page 1)' });
    } finally {
      await source.close();
    }
  });

  it('refuses more pages than MAX_PAGES with too_many_pages, on open', async () => {
    const error = await refusal(openDocument(fixture('pages-200.pdf'), 'pdf', LIMITS));
    expect(error.code).toBe('too_many_pages');
    expect(error.details).toEqual({ pages: 200, maxPages: 20 });
    expect(error.message).toContain('MAX_PAGES');
  });

  it('opens the 200-page PDF when MAX_PAGES allows it', async () => {
    const last = await withDocument(
      'pages-200.pdf',
      'pdf',
      async (source) => [source.pageCount, (await source.pageText(200, { width: 144, height: 144 }))?.text],
      {
        ...LIMITS,
        maxPages: 200,
      },
    );
    expect(last).toEqual([200, 'Page 200 of 200']);
  });
});

describe('openDocument: multi-page TIFF', () => {
  /** Where the page's black square is: top-left, top-right or bottom-left (make-documents.ts). */
  async function corner(png: Buffer): Promise<string> {
    const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
    const dark = (x: number, y: number): boolean => (data[y * info.width + x] ?? 255) < 128;
    const [right, bottom] = [info.width - 40, info.height - 40];
    return dark(40, 40) ? 'top-left' : dark(right, 40) ? 'top-right' : dark(40, bottom) ? 'bottom-left' : 'none';
  }

  it('reads the three pages in order, each at its own size, without a text layer', async () => {
    const pages = await withDocument('three-pages.tiff', 'tiff', async (source) => {
      const result = [];
      for (let page = 1; page <= source.pageCount; page++) {
        const size = await source.pageSize(page);
        result.push({ size, text: await source.pageText(page, size), corner: await corner(await source.renderPage(page, size)) });
      }
      return result;
    });
    expect(pages).toEqual([
      { size: { width: 600, height: 400 }, text: null, corner: 'top-left' },
      { size: { width: 600, height: 400 }, text: null, corner: 'top-right' },
      { size: { width: 600, height: 400 }, text: null, corner: 'bottom-left' },
    ]);
  });

  it('applies MAX_PAGES to TIFF pages too', async () => {
    const error = await refusal(openDocument(fixture('three-pages.tiff'), 'tiff', { ...LIMITS, maxPages: 2 }));
    expect([error.code, error.details]).toEqual(['too_many_pages', { pages: 3, maxPages: 2 }]);
  });

  it('refuses a page larger than MAX_INPUT_PIXELS when it is decoded, as for single images', async () => {
    const source = await openDocument(fixture('three-pages.tiff'), 'tiff', { ...LIMITS, maxInputPixels: 1000 });
    const error = await refusal(source.renderPage(2, { width: 600, height: 400 }));
    expect(error.code).toBe('image_too_large');
  });
});
