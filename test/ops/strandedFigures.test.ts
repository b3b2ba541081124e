/**
 * The ops figures count what waits for the stranded sweep (messages in `<queue>-poison-poison`,
 * dead-lettered uploads) in /api/metrics, the metric lines the alerts read and `npm run stats`, and
 * `npm run stats` says when jobs wait and nothing takes them.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { formatStats, IDLE_AFTER_SECONDS, idleWarning } from '../../src/cli/formatStats.js';
import { loadConfig, type Config } from '../../src/config.js';
import { BLOB_CREATED_SUBSCRIPTION, poisonQueueName } from '../../src/names.js';
import { METRIC_NAMES, metricLines } from '../../src/ops/metricLines.js';
import { collectMetrics, type MetricsSnapshot } from '../../src/ops/snapshot.js';
import { deadLetterPrefix } from '../../src/pipeline/sweepStranded.js';
import { ensureStorage } from '../../src/runtime.js';
import type { StorageClients } from '../../src/storage/clients.js';
import { testEnv, uniqueNames } from '../support/testHost.js';

const connectionString = inject('storageConnectionString');

describe('figures of stranded work', () => {
  let storage: StorageClients;
  let config: Config;
  let snapshot: MetricsSnapshot;

  beforeAll(async () => {
    storage = {
      blobs: BlobServiceClient.fromConnectionString(connectionString),
      queues: QueueServiceClient.fromConnectionString(connectionString),
    };
    config = loadConfig(testEnv(uniqueNames()));
    await ensureStorage(storage, config);
    const stranded = storage.queues.getQueueClient(poisonQueueName(config.names.poisonQueue));
    await stranded.create();
    await stranded.sendMessage('one');
    await stranded.sendMessage('two');
    const deadLetters = storage.blobs.getContainerClient(config.names.deadLetterContainer);
    await deadLetters.create();
    const event = JSON.stringify([{ eventType: BLOB_CREATED_SUBSCRIPTION.eventType, subject: 'x' }]);
    await deadLetters.getBlockBlobClient(`${deadLetterPrefix()}2026/12/7/1/a.json`).upload(event, event.length);
    snapshot = await collectMetrics({ storage, names: config.names });
  });

  it('are counted in the snapshot and the metric lines', () => {
    expect(snapshot.stranded.poisonOfPoison).toMatchObject({ queue: `${config.names.poisonQueue}-poison`, depth: 2 });
    expect(snapshot.stranded.deadLetters).toBe(1);
    const lines = metricLines(snapshot);
    expect(lines).toContainEqual({ name: METRIC_NAMES.strandedMessages, value: 2 });
    expect(lines).toContainEqual({ name: METRIC_NAMES.deadLetters, value: 1 });
  });

  it('are zero, not an error, where the host never created the queue or the container', async () => {
    const fresh = loadConfig(testEnv(uniqueNames()));
    await ensureStorage(storage, fresh);
    const empty = await collectMetrics({ storage, names: fresh.names });
    expect(empty.stranded).toEqual({
      poisonOfPoison: { queue: `${fresh.names.poisonQueue}-poison`, depth: 0, oldestAgeSeconds: null },
      deadLetters: 0,
    });
  });

  it('are shown by npm run stats with what takes them back', () => {
    const text = formatStats(snapshot);
    expect(text).toMatch(new RegExp(`${config.names.poisonQueue}-poison\\s+2`));
    expect(text).toMatch(/dead-lettered uploads\s+1/);
    expect(text).toContain('the recordStranded timer records or enqueues these');
  });
});

describe('npm run stats when nothing takes the jobs', () => {
  const base = (jobs: { depth: number; oldestAgeSeconds: number | null }, perMinute: number): MetricsSnapshot => ({
    at: '2026-12-07T01:00:00.000Z',
    queues: { jobs: { queue: 'image-jobs', ...jobs }, poison: { queue: 'image-jobs-poison', depth: 0, oldestAgeSeconds: null } },
    stranded: { poisonOfPoison: { queue: 'image-jobs-poison-poison', depth: 0, oldestAgeSeconds: null }, deadLetters: 0 },
    results: {
      since: '2026-12-07T00:00:00.000Z',
      windowSeconds: 3600,
      succeeded: 0,
      failed: 0,
      failedByCode: {},
      tokens: { used: 0, prompt: 0, promptEstimated: 0, completion: 0, reasoning: 0, imageEstimated: 0 },
      estimatedCostUsd: 0,
      throughput: { perMinute, windowSeconds: 300, results: Math.round(perMinute * 5) },
      scan: { complete: true, listed: 0, bodiesRead: 0 },
    },
    limiter: null,
  });

  it('warns when jobs wait unleased past the bound and no record was written in the window', () => {
    const warning = idleWarning(base({ depth: 4, oldestAgeSeconds: IDLE_AFTER_SECONDS + 30 }, 0));
    expect(warning).toContain('no worker has taken a job for a while: 4 waiting, the oldest for 90 s');
    expect(formatStats(base({ depth: 4, oldestAgeSeconds: 90 }, 0))).toContain(`Warning: ${warning}`);
  });

  it('stays quiet while records are written, while the oldest job is young, or with no jobs', () => {
    expect(idleWarning(base({ depth: 4, oldestAgeSeconds: 600 }, 2.5))).toBeUndefined();
    expect(idleWarning(base({ depth: 4, oldestAgeSeconds: IDLE_AFTER_SECONDS - 1 }, 0))).toBeUndefined();
    expect(idleWarning(base({ depth: 0, oldestAgeSeconds: null }, 0))).toBeUndefined();
    expect(formatStats(base({ depth: 0, oldestAgeSeconds: null }, 0))).not.toContain('Warning');
  });
});
