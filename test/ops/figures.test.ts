/** The queue and results figures against Azurite directly: ages, bounds, and records without usage metadata. */
import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { measureQueue } from '../../src/ops/queueFigures.js';
import { summarizeResults } from '../../src/ops/resultFigures.js';
import { EMPTY_USAGE, RESULT_SCHEMA_VERSION, type ResultRecord } from '../../src/contracts/resultRecord.js';
import { createStorageClients } from '../../src/storage/clients.js';
import { ResultStore } from '../../src/storage/resultStore.js';

const storage = createStorageClients({
  kind: 'connectionString',
  connectionString: inject('storageConnectionString'),
  setting: 'DataStorage',
});
const id = (): string => randomBytes(4).toString('hex');

function record(blob: string, status: 'succeeded' | 'failed', promptTokens: number | null, code?: string): ResultRecord {
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    status,
    source: { container: 'up', blob, etag: `"${blob}"`, size: 1, sha256: null, mime: null, width: null, height: null, lastModified: null },
    profile: 'describe',
    provider: { name: null, model: null },
    detail: null,
    usage: {
      ...EMPTY_USAGE,
      promptTokens,
      completionTokens: promptTokens === null ? null : 5,
      imageTokensEstimated: 85,
      estimatedCostUsd: promptTokens === null ? null : 0.25,
    },
    timings: { downloadMs: null, prepareMs: null, modelMs: null, totalMs: 1 },
    attempt: 1,
    ...(code === undefined ? {} : { error: { code, message: code, retryable: false } }),
    warnings: [],
    createdAt: new Date().toISOString(),
  };
}

describe('queue figures', () => {
  it('counts every message and ages the oldest visible one', async () => {
    const queue = storage.queues.getQueueClient(`q-${id()}`);
    await queue.create();
    expect(await measureQueue(queue, new Date())).toEqual({ queue: queue.name, depth: 0, oldestAgeSeconds: null });
    await queue.sendMessage('first');
    await queue.sendMessage('second');
    await queue.sendMessage('hidden', { visibilityTimeout: 600 });
    const figures = await measureQueue(queue, new Date(Date.now() + 90_000));
    expect(figures.depth).toBe(3);
    expect(figures.oldestAgeSeconds).toBeGreaterThanOrEqual(89);
    expect(figures.oldestAgeSeconds).toBeLessThan(120);
    await queue.delete();
  });
});

describe('results figures', () => {
  it('counts the last hour from metadata, reads bodies only for records without usage metadata, and says when a bound cut the scan', async () => {
    const container = storage.blobs.getContainerClient(`res-${id()}`);
    await container.create();
    const store = new ResultStore(container);
    await store.writeFinal(record('a.jpg', 'succeeded', 100));
    await store.writeFinal(record('b.jpg', 'failed', null, 'corrupt_image'));
    // Written as an older ResultStore did: status metadata, no usage metadata.
    const legacy = JSON.stringify(record('c.jpg', 'succeeded', 40));
    await container.getBlockBlobClient('c.jpg.json').upload(legacy, legacy.length, { metadata: { status: 'succeeded', errorcode: '' } });
    await container.getBlockBlobClient('notes/readme.txt').upload('not a record', 12);

    const now = new Date(Date.now() + 5_000);
    const all = await summarizeResults(container, now);
    expect(all).toMatchObject({
      succeeded: 2,
      failed: 1,
      failedByCode: { corrupt_image: 1 },
      tokens: { prompt: 140, completion: 10, used: 150, imageEstimated: 255 },
      estimatedCostUsd: 0.5,
      scan: { listed: 4, bodiesRead: 2, complete: true },
    });

    const later = await summarizeResults(container, new Date(Date.now() + 3_700_000));
    expect(later).toMatchObject({ succeeded: 0, failed: 0, scan: { listed: 4, bodiesRead: 0, complete: true } });

    expect((await summarizeResults(container, now, { maxListed: 2, maxBodyReads: 10 })).scan).toEqual({
      listed: 2,
      bodiesRead: 0,
      complete: false,
    });
    const noBodies = await summarizeResults(container, now, { maxListed: 100, maxBodyReads: 0 });
    expect(noBodies).toMatchObject({ succeeded: 1, failed: 1, scan: { bodiesRead: 0, complete: false } });
    await container.delete();
  });
});
