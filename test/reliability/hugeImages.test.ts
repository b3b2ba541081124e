/**
 * Full concurrency on the offline provider: 14 distinct 10000x10000 JPEGs (100 MP each, the default
 * MAX_INPUT_PIXELS) uploaded at once. Every one gets its record, and this process, which runs the host
 * and its OCR worker, stays under RSS_BOUND_MIB (sampled every 20 ms): jobs waiting for OCR hold their
 * compressed bytes, not their pixels, and a glance reads at most 4 MP.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '../support/testHost.js';

const FILES = 14;
const SIDE = 10_000;
const RSS_BOUND_MIB = 768;

/** A distinct 100 MP picture with a line of text, a few hundred KB as a JPEG. */
async function hugeJpeg(i: number): Promise<Buffer> {
  const label = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="400"><text x="40" y="300" font-family="DejaVu Sans" font-size="240">Poster ${i}</text></svg>`,
  );
  return sharp({ create: { width: SIDE, height: SIDE, channels: 3, background: { r: 20 + i * 15, g: 200 - i * 10, b: 120 } } })
    .composite([{ input: label, top: 2000 + i * 300, left: 1000 }])
    .jpeg({ quality: 80 })
    .toBuffer();
}

describe(`${FILES} distinct ${SIDE}x${SIDE} JPEGs at once, offline`, () => {
  let t: TestHost;
  beforeAll(async () => {
    t = await startTestHost();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('gives each its record with bounded memory', async () => {
    const files: Buffer[] = [];
    for (let i = 0; i < FILES; i++) files.push(await hugeJpeg(i));
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss());
    }, 20);
    const started = performance.now();
    try {
      const etags = await Promise.all(files.map((bytes, i) => t.upload(`huge/${String(i).padStart(2, '0')}.jpg`, bytes)));
      files.length = 0;
      const records = await Promise.all(
        etags.map((etag, i) => t.waitForRecord(`huge/${String(i).padStart(2, '0')}.jpg`, { etag, timeoutMs: 600_000 })),
      );
      records.forEach((record, i) => {
        expect(record.status, JSON.stringify(record.error)).toBe('succeeded');
        expect(record.source).toMatchObject({ width: SIDE, height: SIDE });
        // Read at 4 MP, the poster's line of text is still there.
        expect((record.data as { text_found?: string }).text_found, `huge/${i}`).toContain('Poster');
      });
    } finally {
      clearInterval(sampler);
    }
    const mib = (bytes: number): number => Math.round(bytes / 2 ** 20);
    console.log(
      `huge images: ${FILES} x ${SIDE}x${SIDE} JPEG in ${((performance.now() - started) / 1000).toFixed(1)} s; RSS ${mib(baseline)} MiB before, peak ${mib(peak)} MiB (bound ${RSS_BOUND_MIB})`,
    );
    expect(mib(peak)).toBeLessThan(RSS_BOUND_MIB);
  }, 900_000);
});
