/**
 * The storage emulator restarted under load: a dedicated Azurite (fixed ports, data on disk) serves a
 * local host working through 40 uploads; a third of the way in, Azurite is stopped and started again on
 * the same ports and data, after DOWNTIME_MS. The worker must ride out the outage (the triggers keep
 * polling, a job that failed meanwhile as storage_unavailable is retried, a message whose completion
 * failed comes back after its lease) and lose nothing: 40 uploads, 40 records.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startAzurite, type RunningAzurite } from '../../src/local/azurite.js';
import { createOfflineProvider } from '../../src/providers/offlineProvider.js';
import type { VisionProvider } from '../../src/providers/types.js';
import { resultPath } from '../../src/contracts/blobPaths.js';
import { blobNames, events } from '../support/jobs.js';
import { messageCount, sleep, waitFor, waitForEmpty } from '../support/storage.js';
import { startTestHost, type TestHost } from '../support/testHost.js';

const FILES = 40;
const RESTART_AFTER_RECORDS = 12;
/** Longer than the storage clients' own retries last (5 tries, about 8 s): the worker itself must recover. */
const DOWNTIME_MS = 10_000;

/** The offline provider, slowed down so that the restart lands while jobs are running. */
function slowProvider(ms: number): VisionProvider {
  const inner = createOfflineProvider();
  return {
    name: inner.name,
    analyze: async (request) => {
      await sleep(ms);
      return inner.analyze(request);
    },
    close: () => inner.close(),
  };
}

describe('the storage emulator restarted under load', () => {
  let location: string;
  let ports: { blobPort: number; queuePort: number };
  let azurite: RunningAzurite;
  let t: TestHost;
  const logs: string[] = [];

  beforeAll(async () => {
    location = mkdtempSync(join(tmpdir(), 'azurite-restart-'));
    ports = { blobPort: await freePort(), queuePort: await freePort() };
    azurite = await startAzurite({ location, ...ports });
    t = await startTestHost({ env: { DataStorage: azurite.connectionString }, provider: slowProvider(250), leaseMs: 4_000, logs });
  });
  afterAll(async () => {
    await t.stop();
    await azurite.stop();
    rmSync(location, { recursive: true, force: true });
  });

  it(`loses none of ${FILES} uploads`, async () => {
    const etags = new Map<string, string>();
    for (let i = 0; i < FILES; i++) {
      const name = `restart/${String(i).padStart(2, '0')}.png`;
      const bytes = await sharp({ create: { width: 48 + i, height: 32, channels: 3, background: { r: i * 6, g: 80, b: 200 - i * 4 } } })
        .png()
        .toBuffer();
      etags.set(name, await t.upload(name, bytes));
    }
    const results = t.storage.blobs.getContainerClient(t.config.names.resultsContainer);
    const before = await waitFor(
      `${RESTART_AFTER_RECORDS} records`,
      async () => {
        const count = (await blobNames(results)).length;
        return count >= RESTART_AFTER_RECORDS ? count : undefined;
      },
      30_000,
    );
    const stopped = performance.now();
    await azurite.stop();
    await sleep(DOWNTIME_MS);
    azurite = await startAzurite({ location, ...ports });
    const downtime = Math.round(performance.now() - stopped);

    await waitFor(`${FILES} records`, async () => (await blobNames(results)).length >= FILES || undefined, 90_000);
    await waitForEmpty(t.storage.queues.getQueueClient(t.config.names.jobsQueue), 60_000);

    expect((await blobNames(results)).sort()).toEqual([...etags.keys()].map(resultPath).sort());
    let retried = 0;
    for (const [name, etag] of etags) {
      const record = await t.waitForRecord(name);
      expect(record.status, name).toBe('succeeded');
      expect(record.source.etag, name).toBe(etag);
      if (record.attempt > 1) retried += 1;
    }
    expect(await messageCount(t.storage.queues.getQueueClient(t.config.names.poisonQueue))).toBe(0);
    const storageErrors = events(logs, 'job.retry').filter((entry) => entry['code'] === 'storage_unavailable').length;
    const hostEvents = [
      'host.queue_receive_failed',
      'host.blob_scan_failed',
      'host.event_delivery_failed',
      'host.completion_failed',
      'host.lease_renewal_failed',
      'host.invocation_failed',
    ];
    const hostErrors = hostEvents.map((event) => [event.slice('host.'.length), events(logs, event).length] as const);
    // The outage was felt, not slept through by the storage clients' retries.
    expect(storageErrors + hostErrors.reduce((sum, [, count]) => sum + count, 0)).toBeGreaterThan(0);
    console.log(
      [
        `storage restart: ${FILES} uploads; Azurite stopped after ${before} records, back after ${downtime} ms`,
        `  afterwards: ${FILES} records, all succeeded; ${retried} written by a later delivery; jobs retried as storage_unavailable: ${storageErrors}`,
        `  host errors ridden out: ${hostErrors.map(([event, count]) => `${event} ${count}`).join(', ')}`,
      ].join('\n'),
    );
  });
});
