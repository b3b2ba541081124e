import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSample } from '../../../eval/generate.js';
import { PermanentError, TransientError } from '../../../src/errors.js';
import { invoiceSchema } from '../../../src/profiles/invoice.js';
import { createDocumentReader, type DocumentImage, type DocumentReader } from '../../../src/providers/offline/documentReader.js';
import type { OcrPage } from '../../../src/ocr/ocrPage.js';
import { createOcrPool, type JobOptions, type OcrPool } from '../../../src/ocr/ocrPool.js';

let reader: DocumentReader;
let invoice: DocumentImage;
let expected: { vendor: string | null; invoice_number: string | null; date: string | null; total: number | null };

beforeAll(async () => {
  reader = createDocumentReader();
  // Document 2 of seed 1: a clean "classic" invoice (label left, value right; table; totals block).
  const { sample, bytes } = await generateSample(1, 2);
  if (sample.profile !== 'invoice') throw new Error('expected document 2 of seed 1 to be an invoice');
  invoice = { bytes, mime: sample.mime, width: sample.width, height: sample.height };
  expected = sample.expected;
});

afterAll(async () => {
  await reader.close();
});

describe('createDocumentReader', () => {
  it('reads an invoice image into schema-valid data with evidence', async () => {
    const reading = await reader.read('invoice', invoice);
    expect(reading.data).toMatchObject({
      invoice_number: expected.invoice_number,
      date: expected.date,
      total: expected.total,
      vendor: expected.vendor,
    });
    expect(invoiceSchema.safeParse(reading.data).success).toBe(true);
    expect(reading.evidence.total?.text).toMatch(/total|due/i);
    expect(reading.evidence.invoice_number?.text).toContain(expected.invoice_number);
    for (const entry of Object.values(reading.evidence)) {
      expect(entry.confidence).toBeGreaterThan(0);
      expect(entry.confidence).toBeLessThanOrEqual(1);
    }
    expect(reading.warnings).toEqual([]);
    expect(reading.engine).toMatch(/^tesseract\.js 7\.\d+\.\d+ \(tesseract 5\./);
  });

  it('gives describe the text, and no data', async () => {
    const reading = await reader.read('describe', invoice);
    expect(reading.data).toBeUndefined();
    expect(reading.text).toContain(expected.invoice_number);
    expect(reading.warnings).toEqual([]);
  });

  it('says so when it cannot answer a profile in full', async () => {
    const reading = await reader.read('product-photo', invoice);
    expect(reading.data).toBeUndefined();
    expect(reading.text).toContain(expected.invoice_number);
    expect(reading.warnings).toContain(
      'the offline provider cannot answer the "product-photo" profile in full: only the text read by OCR is returned',
    );
  });

  it('rejects bytes that are not an image as a permanent corrupt_image error', async () => {
    const error: unknown = await reader
      .read('invoice', { bytes: Buffer.from('not an image'), mime: 'image/png', width: 1, height: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ code: 'corrupt_image' });
  });

  it('rejects an image above the pixel limit as image_too_large', async () => {
    const small = createDocumentReader({ maxInputPixels: 1000 });
    const error: unknown = await small.read('invoice', invoice).catch((e: unknown) => e);
    await small.close();
    expect(error).toMatchObject({ code: 'image_too_large', retryable: false });
  });
});

describe('a glance (a profile with no fields to extract)', () => {
  it('that runs out of OCR time answers without text and leaves a working reader', async () => {
    const reader = createDocumentReader({ glanceOcrMs: 300 });
    const [width, height] = [1600, 1200];
    const noise = await sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
      .jpeg()
      .toBuffer();
    const started = performance.now();
    const reading = await reader.read('describe', { bytes: noise, mime: 'image/jpeg', width, height });
    // The 300 ms cap plus a thumbnail and the worker's start, far below the ~25 s a full reading of the noise takes.
    expect(performance.now() - started).toBeLessThan(8_000);
    expect(reading.text).toBe('');
    expect(reading.warnings).toContain('OCR stopped after 0.3 s without a reading: no text is reported');
    const next = await reader.read('describe', {
      bytes: await sharp({ create: { width: 80, height: 80, channels: 3, background: '#3a7' } })
        .png()
        .toBuffer(),
      mime: 'image/png',
      width: 80,
      height: 80,
    });
    expect(next.warnings).toEqual([]);
    await reader.close();
  });
});

describe('createOcrPool', () => {
  const png = async (): Promise<Buffer> =>
    sharp(
      Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="120"><rect width="100%" height="100%" fill="#fff"/><text x="20" y="70" font-family="DejaVu Sans" font-size="36">Total 12.50</text></svg>',
      ),
    )
      .png()
      .toBuffer();

  const recognize = (pool: OcrPool, image: Buffer, options: JobOptions = {}): Promise<OcrPage> =>
    pool.session((ocr) => ocr.recognize(image), options);

  it('runs jobs beyond its size one after another on the same worker, and refuses work once closed', async () => {
    const pool = createOcrPool({ size: 1 });
    const image = await png();
    const pages = await Promise.all([recognize(pool, image), recognize(pool, image), recognize(pool, image)]);
    expect(pages.map((page) => page.lines.map((line) => line.words.map((word) => word.text).join(' ')).join(' '))).toEqual([
      'Total 12.50',
      'Total 12.50',
      'Total 12.50',
    ]);
    await pool.close();
    await expect(recognize(pool, image)).rejects.toBeInstanceOf(TransientError);
  });

  it('reports a worker that cannot start as a transient internal error instead of hanging', async () => {
    const pool = createOcrPool({ langPath: '/nonexistent/tessdata' });
    const error: unknown = await recognize(pool, await png()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'internal_error' });
    expect((error as Error).message).toMatch(/could not start/);
    await pool.close();
  });

  it('stops waiting for a worker when the caller gives up', async () => {
    const pool = createOcrPool({ size: 1 });
    const image = await png();
    const busy = recognize(pool, image);
    const controller = new AbortController();
    const waiting = recognize(pool, image, { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'timeout' });
    await expect(busy).resolves.toMatchObject({ engine: expect.stringMatching(/^tesseract\.js/) as unknown });
    await pool.close();
  });

  it("holds one worker for all of a session's readings: a later job waits for the whole session, not between its readings", async () => {
    const pool = createOcrPool({ size: 1 });
    const image = await png();
    const order: string[] = [];
    const first = pool.session(async (ocr) => {
      await ocr.recognize(image);
      order.push('first: reading 1');
      await ocr.recognize(image);
      order.push('first: reading 2');
    });
    // Asks while the first session is between its readings.
    const second = recognize(pool, image).then(() => order.push('second'));
    await Promise.all([first, second]);
    expect(order).toEqual(['first: reading 1', 'first: reading 2', 'second']);
    await pool.close();
  });
});
