/**
 * The render children with real fixtures: the PDF bounds refuse a page before it is drawn, a child
 * killed at its deadline is replaced and the next document opens, and closing the pool ends every child.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openDocument, type OpenOptions } from '../../src/documents/documentSource.js';
import { WorkerError } from '../../src/errors.js';
import { RenderPool, closeRenderPools } from '../../src/isolation/renderPool.js';
import { strokeBomb } from '../reliability/support/documentBombs.js';
import { DOCUMENT_DEFAULTS } from '../support/renderSettings.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/documents/${name}`, import.meta.url));
const OPTIONS: OpenOptions = { ...DOCUMENT_DEFAULTS, maxInputPixels: 100_000_000 };
const LETTER = { width: 612, height: 792 };

async function refusal(work: Promise<unknown>): Promise<WorkerError> {
  const error: unknown = await work.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof WorkerError)) throw new Error(`expected a WorkerError, got ${String(error)}`);
  return error;
}

describe('render children', () => {
  afterAll(closeRenderPools);

  it('refuse a page with more operators than MAX_PDF_PAGE_OPERATORS before drawing it, and a text layer over its bound', async () => {
    const source = await openDocument(fixture('invoice.pdf'), 'pdf', {
      ...OPTIONS,
      pdf: { ...OPTIONS.pdf, maxPageOperators: 100, maxPageTextChars: 100 },
    });
    try {
      const text = await refusal(source.pageText(1, LETTER));
      expect(text).toMatchObject({
        code: 'document_too_complex',
        retryable: false,
        details: { exceeded: 'text characters on a page', limit: 100, setting: 'MAX_PDF_PAGE_TEXT_CHARS', page: 1 },
      });
      const drawn = await refusal(source.renderPage(1, LETTER));
      expect(drawn).toMatchObject({
        code: 'document_too_complex',
        details: { exceeded: 'drawing operators on a page', value: 316, limit: 100, setting: 'MAX_PDF_PAGE_OPERATORS' },
      });
    } finally {
      await source.close();
    }
  });

  it('count the image pixels a scan page decodes against MAX_PDF_PAGE_IMAGE_PIXELS', async () => {
    const source = await openDocument(fixture('scanned-invoice.pdf'), 'pdf', {
      ...OPTIONS,
      pdf: { ...OPTIONS.pdf, maxPageImagePixels: 1_000_000 },
    });
    try {
      // The scan is one 1275 x 1650 image.
      expect(await refusal(source.renderPage(1, LETTER))).toMatchObject({
        details: { exceeded: 'image pixels on a page', value: 1275 * 1650, limit: 1_000_000 },
      });
    } finally {
      await source.close();
    }
  });

  it('stop a call at RENDER_TIMEOUT_MS, replace the child, and end every child on close', async () => {
    const pool = new RenderPool({ workers: 1, timeoutMs: 2000, maxMemoryMb: 512 });
    const first = await pool.session();
    // 200,000 strokes take far longer than 2 s to draw (50,000 took ~11 s in-process).
    const bounds = { ...OPTIONS.pdf, maxPageOperators: 10_000_000 };
    expect(await first.call({ op: 'openPdf', bytes: await strokeBomb(200_000), maxInputPixels: 1e8, bounds })).toEqual({ pageCount: 1 });
    const stopped: unknown = await first.call({ op: 'renderPage', page: 1, size: LETTER }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(stopped).toMatchObject({ failure: { reason: 'timeout', timeoutMs: 2000 } });
    first.release();
    const second = await pool.session();
    expect(await second.call({ op: 'openPdf', bytes: fixture('invoice.pdf'), maxInputPixels: 1e8, bounds: OPTIONS.pdf })).toEqual({
      pageCount: 1,
    });
    second.release();
    expect(pool.size).toBe(1);
    await pool.close();
    expect(pool.size).toBe(0);
  });
});
