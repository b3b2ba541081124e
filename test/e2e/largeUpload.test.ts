/**
 * An upload larger than MAX_BLOB_BYTES, through the local host end to end: it gets its file_too_large
 * record, and neither the enqueue step nor the job reads its bytes (the host process's memory does not
 * grow by anything near the blob's size, as it would if the blob were downloaded).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB as MB, sampleRss, zeroStream } from '../support/memory.js';
import { startTestHost, type TestHost } from '../support/testHost.js';

const BLOB_BYTES = 300 * MB;
const MAX_BLOB_BYTES = 20 * MB;
const NAME = 'large/zeros.png';

let host: TestHost;
const logs: string[] = [];

beforeAll(async () => {
  host = await startTestHost({ logs, env: { MAX_BLOB_BYTES: String(MAX_BLOB_BYTES) } });
});

afterAll(async () => {
  await host.storage.blobs.getContainerClient(host.config.names.inputContainer).deleteBlob(NAME, { deleteSnapshots: 'include' });
  await host.stop();
});

describe('an upload larger than MAX_BLOB_BYTES', () => {
  it('gets a file_too_large record without its bytes being read by the enqueue step or the job', { timeout: 240_000 }, async () => {
    const input = host.storage.blobs.getContainerClient(host.config.names.inputContainer);
    // Listed, and so announced, only once the last block is committed: the host has not touched it before this returns.
    await input.getBlockBlobClient(NAME).uploadStream(zeroStream(BLOB_BYTES), 4 * MB, 2);
    const rss = sampleRss();
    let growth = 0;
    const record = await host.waitForRecord(NAME, { timeoutMs: 120_000 }).finally(() => (growth = rss.stop()));
    const growthMb = growth / MB;
    console.log(
      `large upload: ${BLOB_BYTES / MB} MB blob, host RSS grew by ${growthMb.toFixed(1)} MB (baseline ${(rss.baseline / MB).toFixed(0)} MB)`,
    );

    expect(record.status).toBe('failed');
    expect(record.error).toMatchObject({ code: 'file_too_large' });
    expect(record.error?.message).toContain(`${BLOB_BYTES} bytes`);
    expect(record.source.size).toBe(BLOB_BYTES);
    // Reading the blob, or even the MAX_BLOB_BYTES a capped download allows, would show; reading none leaves ordinary work.
    expect(growthMb).toBeLessThan(MAX_BLOB_BYTES / MB / 2);
    const events = logs.map((line) => (JSON.parse(line) as { event: string }).event);
    expect(events).toContain('job.failed');
    expect(events).not.toContain('host.event_delivery_failed');
  });
});
