/**
 * From fixture bytes to page images: sizes and tokens chosen from the model's rules, the requests within
 * the per-request image limit, the estimate and the budget, and rendering for OCR.
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { DocumentSettings } from '../../src/config.js';
import { prepareDocument, type DocumentOptions } from '../../src/documents/prepareDocument.js';
import { WorkerError } from '../../src/errors.js';
import { invoiceProfile as typedInvoiceProfile } from '../../src/profiles/invoice.js';
import type { Profile } from '../../src/profiles/types.js';
import { DOCUMENT_DEFAULTS, RENDER } from '../support/renderSettings.js';

/** As the pipeline holds it (src/profiles/index.ts): any profile, its data unknown until validated. */
const invoiceProfile = typedInvoiceProfile as Profile;

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/documents/${name}`, import.meta.url));

const LIMITS: DocumentSettings = {
  ...DOCUMENT_DEFAULTS,
  maxPages: 20,
  maxPagePixels: 20_000_000,
  maxImagesPerRequest: 10,
  tokenBudget: 100_000,
};

function options(overrides: Partial<DocumentOptions> = {}): DocumentOptions {
  return {
    name: 'invoices/doc.pdf',
    prepare: { model: 'gpt-4o', detail: 'high', format: 'png', maxInputPixels: 100_000_000, render: RENDER },
    limits: LIMITS,
    renderFor: 'model',
    profile: invoiceProfile,
    completionBudget: invoiceProfile.maxOutputTokens,
    grounding: false,
    budgeted: true,
    ...overrides,
  };
}

describe('prepareDocument', () => {
  it('turns a one-page PDF into one page image at the size gpt-4o looks at, with its text layer', async () => {
    const doc = await prepareDocument(fixture('invoice.pdf'), 'pdf', options());
    expect(doc.kind).toBe('pdf');
    expect(doc.requests).toEqual([[1]]);
    const page = await doc.draw(1);
    expect(page.image.name).toBe('invoices/doc.pdf#page=1');
    // Letter at 200 dpi (1700 x 2200) -> fit 2048 -> shortest side 768: 768 x 994, 2 x 2 tiles.
    expect(page.image.image).toMatchObject({ mime: 'image/png', width: 768, height: 994, detail: 'high', imageTokens: 765 });
    // The plan knows the model's copy before it is drawn.
    expect(doc.pages[0]?.model).toEqual({ width: 768, height: 994, detail: 'high', imageTokens: 765 });
    const meta = await sharp(page.image.image.bytes).metadata();
    expect([meta.width, meta.height]).toEqual([768, 994]);
    expect(page.hasText).toBe(true);
    expect([page.blank, doc.blank(1)]).toEqual([false, false]);
    expect(page.text?.text).toContain('Invoice # INV-1042');
  });

  it('estimates the whole document before any call: image tokens exactly, text and output as bounds', async () => {
    const { estimate } = await prepareDocument(fixture('multipage-invoice.pdf'), 'pdf', options());
    expect(estimate).toMatchObject({
      model: 'gpt-4o',
      requests: 1,
      imageTokens: 2 * 765,
      maxCompletionTokens: invoiceProfile.maxOutputTokens,
    });
    expect(estimate.textTokens).toBeGreaterThan(100);
    expect(estimate.totalTokens).toBe(estimate.imageTokens + estimate.textTokens + estimate.maxCompletionTokens);
    // gpt-4o list price: $2.50 in, $10 out per million.
    expect(estimate.costUsd).toBeCloseTo(
      ((estimate.imageTokens + estimate.textTokens) * 2.5 + estimate.maxCompletionTokens * 10) / 1e6,
      10,
    );
  });

  it('counts the text layer in the estimate when it is sent with the pages', async () => {
    const without = await prepareDocument(fixture('multipage-invoice.pdf'), 'pdf', options());
    const withText = await prepareDocument(fixture('multipage-invoice.pdf'), 'pdf', options({ grounding: true }));
    // ~980 characters of text layer at 3 characters a token.
    expect(withText.estimate.textTokens - without.estimate.textTokens).toBeGreaterThan(300);
  });

  it('refuses a document over DOCUMENT_TOKEN_BUDGET with token_budget_exceeded and the estimate', async () => {
    const error = await prepareDocument(
      fixture('multipage-invoice.pdf'),
      'pdf',
      options({ limits: { ...LIMITS, tokenBudget: 3000 } }),
    ).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(WorkerError);
    const refusal = error as WorkerError;
    expect([refusal.code, refusal.retryable]).toEqual(['token_budget_exceeded', false]);
    expect(refusal.message).toContain('DOCUMENT_TOKEN_BUDGET');
    expect(refusal.details).toMatchObject({ budget: 3000, pages: 2, estimate: { imageTokens: 1530, requests: 1 } });
  });

  it('makes the estimate but refuses nothing when unbudgeted (the offline provider spends no tokens)', async () => {
    const doc = await prepareDocument(
      fixture('multipage-invoice.pdf'),
      'pdf',
      options({ limits: { ...LIMITS, tokenBudget: 3000 }, budgeted: false }),
    );
    expect(doc.pages).toHaveLength(2);
    expect(doc.estimate.totalTokens).toBeGreaterThan(3000);
  });

  it('sends 200 pages as 20 requests of 10, in page order, when MAX_PAGES allows them', async () => {
    const doc = await prepareDocument(
      fixture('pages-200.pdf'),
      'pdf',
      options({ limits: { ...LIMITS, maxPages: 200, tokenBudget: 1_000_000 }, profile: { ...invoiceProfile, maxOutputTokens: 100 } }),
    );
    expect(doc.requests).toHaveLength(20);
    expect(doc.requests.every((request) => request.length === 10)).toBe(true);
    expect(doc.requests.flat()).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    // 2 x 2 in at 200 dpi: 400 x 400, one tile each.
    expect(doc.pages.map(({ model }) => model.imageTokens)).toEqual(Array(200).fill(255));
    expect(doc.pages[199]?.text?.text).toBe('Page 200 of 200');
    expect(doc.estimate.requests).toBe(20);
  });

  it('chunks by MAX_IMAGES_PER_REQUEST', async () => {
    const doc = await prepareDocument(fixture('multipage-invoice.pdf'), 'pdf', options({ limits: { ...LIMITS, maxImagesPerRequest: 1 } }));
    expect(doc.requests).toEqual([[1], [2]]);
    expect(doc.estimate.maxCompletionTokens).toBe(2 * invoiceProfile.maxOutputTokens);
  });

  it('uses low detail when the profile does: the page fits 512 px and costs 85 tokens', async () => {
    const doc = await prepareDocument(
      fixture('invoice.pdf'),
      'pdf',
      options({ prepare: { model: 'gpt-4o', detail: 'low', format: 'png', maxInputPixels: 1e8, render: RENDER } }),
    );
    expect((await doc.draw(1)).image.image).toMatchObject({ width: 395, height: 512, detail: 'low', imageTokens: 85 });
  });

  it('renders at OCR resolution for the offline provider: the source is 300 dpi, the model copy unchanged', async () => {
    const doc = await prepareDocument(fixture('scanned-invoice.pdf'), 'pdf', options({ renderFor: 'ocr' }));
    try {
      // Nothing is drawn before the page is read.
      expect(doc.blank(1)).toBeUndefined();
      const { image, blank } = await doc.draw(1);
      expect([image.source.width, image.source.height, image.source.mime]).toEqual([2550, 3300, 'image/png']);
      expect([image.image.width, image.image.height, image.image.imageTokens]).toEqual([768, 994, 765]);
      expect(doc.pages[0]?.model).toMatchObject({ width: 768, height: 994, imageTokens: 765 });
      expect([doc.pages[0]?.hasText, blank, doc.blank(1)]).toEqual([false, false, false]);
    } finally {
      await doc.close();
    }
    await expect(doc.draw(1)).rejects.toThrow(/after the document was closed/);
  });

  it('puts text-layer boxes in the pixels of the source rendering', async () => {
    const doc = await prepareDocument(fixture('invoice.pdf'), 'pdf', options({ renderFor: 'ocr' }));
    await doc.close();
    const text = doc.pages[0]?.text;
    expect([text?.width, text?.height]).toEqual([2550, 3300]);
    const total = text?.lines.flatMap((line) => line.words).find((word) => word.text === '$95.84');
    // Right-aligned at 560 pt: 560 / 72 * 300 = 2333 px.
    expect(total?.box.x1).toBeGreaterThan(2300);
    expect(total?.box.x1).toBeLessThan(2345);
  });

  it('caps a page at MAX_PAGE_PIXELS', async () => {
    const doc = await prepareDocument(
      fixture('invoice.pdf'),
      'pdf',
      options({ renderFor: 'ocr', limits: { ...LIMITS, maxPagePixels: 1_000_000 } }),
    );
    const { source } = (await doc.draw(1).finally(() => doc.close())).image;
    expect(source.width * source.height).toBeLessThanOrEqual(1_000_000);
    expect(source.width).toBe(879);
  });

  it('marks a page pdf.js could not draw as blank', async () => {
    const bytes = fixture('invoice.pdf');
    const start = bytes.indexOf('stream\n') + 'stream\n'.length;
    // A broken zlib header: pdf.js replaces the whole content stream with an empty one and only warns.
    bytes.fill(0xff, start, start + 2);
    const doc = await prepareDocument(bytes, 'pdf', options());
    expect(await doc.draw(1)).toMatchObject({ blank: true, hasText: false });
  });

  it('leaves out an image inside a PDF over MAX_INPUT_PIXELS, and the scan page is then reported blank', async () => {
    // The scan is 1275 x 1650 = 2.1 MP.
    const doc = await prepareDocument(
      fixture('scanned-invoice.pdf'),
      'pdf',
      options({ prepare: { ...options().prepare, maxInputPixels: 2_000_000 } }),
    );
    expect(await doc.draw(1)).toMatchObject({ blank: true, hasText: false });
    const within = await prepareDocument(
      fixture('scanned-invoice.pdf'),
      'pdf',
      options({ prepare: { ...options().prepare, maxInputPixels: 2_200_000 } }),
    );
    expect(within.blank(1)).toBe(false);
  });

  it('turns a three-page TIFF into three page images in order, each sized for the model', async () => {
    const doc = await prepareDocument(fixture('three-pages.tiff'), 'tiff', options({ name: 'scans/fax.tiff' }));
    const pages = await Promise.all(doc.pages.map(({ page }) => doc.draw(page)));
    expect(
      pages.map(({ image, text, blank }) => [image.name, image.image.width, image.image.height, image.image.imageTokens, text, blank]),
    ).toEqual([
      ['scans/fax.tiff#page=1', 600, 400, 425, null, false],
      ['scans/fax.tiff#page=2', 600, 400, 425, null, false],
      ['scans/fax.tiff#page=3', 600, 400, 425, null, false],
    ]);
    expect(doc.requests).toEqual([[1, 2, 3]]);
  });

  it('refuses before rendering: too many pages, encrypted, corrupt', async () => {
    const codes = await Promise.all(
      (['pages-200.pdf', 'encrypted.pdf', 'truncated.pdf'] as const).map((name) =>
        prepareDocument(fixture(name), 'pdf', options()).then(
          () => 'accepted',
          (error: unknown) => (error as WorkerError).code,
        ),
      ),
    );
    expect(codes).toEqual(['too_many_pages', 'pdf_encrypted', 'pdf_corrupt']);
  });
});
