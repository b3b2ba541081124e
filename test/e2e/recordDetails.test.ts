/**
 * What a record says, through the local host: each warning once, refusals that name every supported
 * format (and an empty file in words), and offline answers never taken from the result cache.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvoice, type InvoiceData } from '../../src/profiles/invoice.js';
import type { VisionProvider } from '../../src/providers/types.js';
import { CACHE_PREFIX } from '../../src/storage/resultCache.js';
import { fixture } from '../support/fixtures.js';
import { blobNames } from '../support/jobs.js';
import { startTestHost, type TestHost } from '../support/testHost.js';

/** Totals that disagree: the invoice check warns about them. */
const INVOICE: InvoiceData = {
  vendor: 'Northwind',
  invoice_number: 'INV-1',
  date: '2024-03-15',
  currency: 'USD',
  subtotal: 10,
  tax: 2,
  total: 13,
  line_items: [],
};

/** Answers as the offline invoice reader does: with the profile's own check already among its warnings. */
const checkingProvider: VisionProvider = {
  name: 'openai',
  analyze: async () => ({
    data: INVOICE,
    rawText: JSON.stringify(INVOICE),
    model: 'checking-model',
    usage: { promptTokens: 100, completionTokens: 20 },
    warnings: [...checkInvoice(INVOICE), 'low OCR confidence', 'low OCR confidence'],
  }),
  close: async () => undefined,
};

describe('a record says each warning once', () => {
  let t: TestHost;
  beforeAll(async () => {
    t = await startTestHost({ provider: checkingProvider });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('when the provider and the profile check report the same thing, answered or from the cache', async () => {
    const expected = ['subtotal 10 + tax 2 = 12, but total is 13', 'low OCR confidence'];
    await t.upload('invoices/a.png', fixture('invoice.png'));
    const answered = await t.waitForRecord('invoices/a.png');
    expect(answered.warnings).toEqual(expected);

    await t.upload('invoices/copy-of-a.png', fixture('invoice.png'));
    const cached = await t.waitForRecord('invoices/copy-of-a.png');
    expect(cached.cached).toBe(true);
    expect(cached.warnings).toEqual(expected);
  });
});

describe('with the offline provider', () => {
  let t: TestHost;
  beforeAll(async () => {
    t = await startTestHost();
  });
  afterAll(async () => {
    await t.stop();
  });

  const SUPPORTED = 'a PNG, JPEG, WebP, GIF, TIFF, AVIF or HEIC/HEIF image, or a PDF or multi-page TIFF document';

  it('refuses an unsupported file naming every supported format, PDF and multi-page TIFF included', async () => {
    await t.upload('docs/notes.png', fixture('notes.txt'));
    const record = await t.waitForRecord('docs/notes.png');
    expect(record.error).toMatchObject({ code: 'unsupported_media_type', message: `expected ${SUPPORTED}, received text/plain` });
  });

  it('says in words that a file is empty', async () => {
    await t.upload('empty.png', Buffer.alloc(0));
    const record = await t.waitForRecord('empty.png');
    expect(record.error).toMatchObject({
      code: 'unsupported_media_type',
      message: `expected ${SUPPORTED}, received nothing: the file is empty (0 bytes)`,
    });
    expect(record.source.mime).toBe('application/x-empty');
  });

  it('answers identical bytes again rather than from the cache: its answers come from code a deployment may change', async () => {
    await t.upload('same/a.jpg', fixture('photo.jpg'));
    const first = await t.waitForRecord('same/a.jpg');
    await t.upload('same/b.jpg', fixture('photo.jpg'));
    const second = await t.waitForRecord('same/b.jpg');
    expect(second.source.sha256).toBe(first.source.sha256);
    expect([first.cached, second.cached]).toEqual([undefined, undefined]);
    expect(await blobNames(t.storage.blobs.getContainerClient(t.config.names.stateContainer), CACHE_PREFIX)).toEqual([]);
  });
});
