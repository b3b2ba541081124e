/**
 * A 1 GiB upload, twice the largest MAX_BLOB_BYTES the config accepts, through the local host with the
 * default settings: it ends as one file_too_large record, and from the end of the upload to that record
 * the resident set of this process (which runs the host) grows by less than PEAK_GROWTH_MIB, sampled
 * every 10 ms. The test streams the zeros and never holds the blob either.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resultPath } from '../../src/contracts/blobPaths.js';
import { MiB, sampleRss, zeroStream } from '../support/memory.js';
import { startTestHost, type TestHost } from '../support/testHost.js';

const BLOB_BYTES = 1024 * MiB;
const PEAK_GROWTH_MIB = 64;
const NAME = 'huge/zeros.png';

let host: TestHost;
const logs: string[] = [];

beforeAll(async () => {
  host = await startTestHost({ logs });
});

afterAll(async () => {
  await host?.storage.blobs.getContainerClient(host.config.names.inputContainer).deleteBlob(NAME, { deleteSnapshots: 'include' });
  await host?.stop();
});

describe('a 1 GiB upload', () => {
  it('ends as one file_too_large record without the host holding its bytes', { timeout: 600_000 }, async () => {
    const input = host.storage.blobs.getContainerClient(host.config.names.inputContainer);
    const uploadStarted = performance.now();
    // Listed, and so announced, only once the last block is committed: the host has not touched it before this returns.
    await input.getBlockBlobClient(NAME).uploadStream(zeroStream(BLOB_BYTES), 4 * MiB, 2);
    const uploaded = performance.now();
    const rss = sampleRss();
    let growth = 0;
    const record = await host.waitForRecord(NAME, { timeoutMs: 120_000 }).finally(() => (growth = rss.stop()));
    const toRecordS = (performance.now() - uploaded) / 1000;
    console.log(
      `huge upload: ${BLOB_BYTES / MiB} MiB blob (uploaded in ${((uploaded - uploadStarted) / 1000).toFixed(1)} s), ` +
        `host RSS baseline ${(rss.baseline / MiB).toFixed(0)} MiB, peak growth ${(growth / MiB).toFixed(1)} MiB ` +
        `(bound ${PEAK_GROWTH_MIB}), record ${toRecordS.toFixed(1)} s after the upload ended`,
    );

    expect(record.status).toBe('failed');
    expect(record.error).toMatchObject({ code: 'file_too_large', details: { size: BLOB_BYTES, limit: host.config.maxBlobBytes } });
    expect(record.source.size).toBe(BLOB_BYTES);
    expect(growth / MiB).toBeLessThan(PEAK_GROWTH_MIB);
    const results = host.storage.blobs.getContainerClient(host.config.names.resultsContainer);
    const records: string[] = [];
    for await (const blob of results.listBlobsFlat()) records.push(blob.name);
    expect(records).toEqual([resultPath(NAME)]);
    const events = logs.map((line) => (JSON.parse(line) as { event: string }).event);
    expect(events.filter((event) => event === 'job.failed')).toHaveLength(1);
    expect(events).not.toContain('host.event_delivery_failed');
  });
});
