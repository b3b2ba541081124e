/**
 * The hostile-input corpus (scripts/make-hostile-corpus.ts) through the local host: every case must end
 * with exactly one final record carrying its expected status and error code, no case may reach the
 * poison queue, the worker must go on to analyse the next file, and the process must stay under
 * RSS_BOUND_MIB while it works (RSS sampled every 10 ms in this process, which runs the host).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS_MAX_BLOB_BYTES, hostileCorpus, type HostileCase } from '../../scripts/make-hostile-corpus.js';
import type { ResultRecord } from '../../src/contracts/resultRecord.js';
import { INVALID_MESSAGES_PREFIX, resultPath } from '../../src/contracts/blobPaths.js';
import { blobNames, events, jobOf, sendJob, sendText } from '../support/jobs.js';
import { messageCount } from '../support/storage.js';
import { startTestHost, type TestHost } from '../support/testHost.js';

/**
 * The stated bound for the whole corpus run: the host, sharp's native memory, the offline provider's one
 * OCR worker (~250-330 MB once it has read a page) and the test itself.
 */
const RSS_BOUND_MIB = 768;
const MIB = 1024 * 1024;

interface Row {
  id: string;
  what: string;
  expected: string;
  got: string;
  ms: number;
}

const outcome = (record: Pick<ResultRecord, 'status' | 'error'> | undefined): string =>
  record === undefined ? 'no record' : record.status === 'succeeded' ? 'succeeded' : `failed ${record.error?.code ?? '?'}`;

const excerptOf = (text: string): string => (text.length > 512 ? `${text.slice(0, 512)}…` : text);

describe('the hostile-input corpus', () => {
  let t: TestHost;
  let corpus: HostileCase[];
  const logs: string[] = [];

  beforeAll(async () => {
    corpus = await hostileCorpus();
    t = await startTestHost({ env: { MAX_BLOB_BYTES: String(CORPUS_MAX_BLOB_BYTES) }, logs });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('ends every case with exactly one record of the expected status and code, keeps going, and stays under the memory bound', async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(25);
    const results = t.storage.blobs.getContainerClient(t.config.names.resultsContainer);
    const input = t.storage.blobs.getContainerClient(t.config.names.inputContainer);
    const container = t.config.names.inputContainer;

    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss());
    }, 10);

    const started = performance.now();
    /** For each case: where its record is expected (a result path, or the excerpt of an invalid message) and what it is. */
    const awaited: { item: HostileCase; path?: string; excerpt?: string; etag?: string }[] = [];
    try {
      for (const item of corpus) {
        if (item.kind === 'upload') {
          const etag = await t.upload(item.name, item.bytes, item.metadata);
          awaited.push(
            item.recordAt === 'blob'
              ? { item, path: resultPath(item.storedAs ?? item.name), etag }
              : // The enqueue step refuses the name itself: the record's excerpt is the name.
                { item, excerpt: item.name },
          );
        } else if (item.kind === 'message') {
          const text = item.text(container);
          await sendText(t, text);
          awaited.push({ item, excerpt: excerptOf(text) });
        } else if (item.kind === 'deleted') {
          const etag = await t.upload(item.name, item.bytes);
          await input.getBlobClient(item.name).delete();
          await sendJob(t, jobOf(t, item.name, etag, item.bytes.length));
          awaited.push({ item, path: resultPath(item.name) });
        } else {
          const first = await t.upload(item.name, item.bytes);
          const newer = await t.upload(item.name, item.newer);
          await sendJob(t, jobOf(t, item.name, first, item.bytes.length));
          awaited.push({ item, path: resultPath(item.name), etag: newer });
        }
      }
      // Whatever came before, the next ordinary upload is analysed.
      await t.upload('after-the-corpus/photo.jpg', readFileSync(new URL('../fixtures/photo.jpg', import.meta.url)));

      const rows: Row[] = [];
      const invalid = new Map<string, ResultRecord>();
      for (const { item, path, excerpt, etag } of awaited) {
        let record: ResultRecord | undefined;
        if (path !== undefined) {
          record = await t.waitForRecord(path.slice(0, -'.json'.length), { ...(etag === undefined ? {} : { etag }), timeoutMs: 60_000 });
        } else {
          const deadline = Date.now() + 60_000;
          while (record === undefined && Date.now() < deadline) {
            for (const name of await blobNames(results, INVALID_MESSAGES_PREFIX)) {
              if (!invalid.has(name)) {
                const found = await t.results.read(name);
                if (found !== undefined) invalid.set(name, found);
              }
            }
            record = [...invalid.values()].find((r) => String(r.error?.details?.['excerpt'] ?? '').includes(excerpt ?? '\0'));
            if (record === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
        const expected = item.expected.status === 'succeeded' ? 'succeeded' : `failed ${item.expected.code}`;
        rows.push({ id: item.id, what: item.what, expected, got: outcome(record), ms: Math.round(performance.now() - started) });
        if (record !== undefined && item.kind === 'upload' && item.source !== undefined) {
          expect(record.source, item.id).toMatchObject(item.source);
        }
        if (record !== undefined && item.kind === 'overwritten') expect(record.source.mime, item.id).toBe('image/png');
      }
      const sentinel = await t.waitForRecord('after-the-corpus/photo.jpg');
      const elapsed = performance.now() - started;

      console.log(
        [
          `hostile corpus: ${corpus.length} cases in ${Math.round(elapsed)} ms`,
          ...rows.map((r) => `  ${r.id.padEnd(16)} ${r.expected.padEnd(32)} ${r.got === r.expected ? 'ok' : `GOT ${r.got}`}  ${r.what}`),
        ].join('\n'),
      );
      expect(rows.filter((r) => r.got !== r.expected)).toEqual([]);
      expect(sentinel.status).toBe('succeeded');

      // Exactly one record per case (and the sentinel's): no duplicates, nothing stray.
      const all = await blobNames(results);
      expect(all).toHaveLength(corpus.length + 1);
      expect(events(logs, 'host.message_poisoned')).toEqual([]);
      expect(await messageCount(t.storage.queues.getQueueClient(t.config.names.poisonQueue))).toBe(0);
    } finally {
      clearInterval(sampler);
    }
    const peakMib = peak / MIB;
    console.log(
      `hostile corpus memory: RSS ${Math.round(baseline / MIB)} MiB before, peak ${Math.round(peakMib)} MiB during (bound ${RSS_BOUND_MIB} MiB); process maxRSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`,
    );
    expect(peakMib).toBeLessThan(RSS_BOUND_MIB);
  });
});
