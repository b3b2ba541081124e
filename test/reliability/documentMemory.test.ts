/**
 * A many-page scanned PDF through the local host with the offline provider: its pages are drawn at OCR
 * resolution (a 7.4 MiB PNG each here), and the host's memory must not grow with the page count. The
 * RSS of this process (host, render pool client, OCR worker thread) is sampled every 10 ms from the
 * upload to the record, for a 4-page and a 20-page scan (MAX_PAGES' default) after a 1-page warm-up
 * has started the OCR worker; the 20-page peak may exceed the 4-page one by less than GROWTH_MARGIN_MIB,
 * where keeping every page's rendering until the job ends costs 16 more pages, about 120 MiB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB, sampleRss } from '../support/memory.js';
import { scannedPdf } from '../support/scannedPdf.js';
import { startTestHost, type TestHost } from '../support/testHost.js';

const GROWTH_MARGIN_MIB = 40;

let host: TestHost;

beforeAll(async () => {
  host = await startTestHost();
});

afterAll(async () => {
  await host?.stop();
});

/** The peak RSS growth (bytes) while a `pages`-page scan goes from upload to its record. */
async function peakGrowth(pages: number): Promise<{ growth: number; seconds: number }> {
  const name = `scans/grain-${pages}.pdf`;
  const bytes = await scannedPdf(pages);
  const started = performance.now();
  const rss = sampleRss();
  let growth = 0;
  const etag = await host.upload(name, bytes);
  const record = await host.waitForRecord(name, { etag, timeoutMs: 300_000 }).finally(() => (growth = rss.stop()));
  expect(record.status, JSON.stringify(record.error)).toBe('succeeded');
  expect(record.document).toMatchObject({ kind: 'pdf', pageCount: pages });
  expect(record.document?.pages.every(({ textLayer }) => !textLayer)).toBe(true);
  return { growth, seconds: (performance.now() - started) / 1000 };
}

describe('a many-page scanned PDF, offline', () => {
  it('is read without holding every page drawn at OCR resolution', { timeout: 600_000 }, async () => {
    await peakGrowth(1);
    const few = await peakGrowth(4);
    const many = await peakGrowth(20);
    const mib = (bytes: number): string => (bytes / MiB).toFixed(1);
    console.log(
      `scanned PDF memory: peak RSS growth ${mib(few.growth)} MiB for 4 pages (${few.seconds.toFixed(1)} s), ` +
        `${mib(many.growth)} MiB for 20 pages (${many.seconds.toFixed(1)} s); margin ${GROWTH_MARGIN_MIB} MiB`,
    );
    expect((many.growth - few.growth) / MiB).toBeLessThan(GROWTH_MARGIN_MIB);
  });
});
