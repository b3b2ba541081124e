/**
 * A restart of the local host: the receipts of its BlobCreated event source mean uploads that already
 * have their records are not enqueued again, and their records stay as they were.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RECEIPTS_CONTAINER, RECEIPTS_ROOT } from '../../src/local/blobCreatedEvents.js';
import { resultPath } from '../../src/contracts/blobPaths.js';
import { messageCount, sleep } from '../support/storage.js';
import { startTestHost, uniqueNames, type TestHost } from '../support/testHost.js';
import { fixture } from '../support/fixtures.js';

const hosts: TestHost[] = [];

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.stop()));
});

/** Events that show a job ran (or was looked at) in this host. */
const jobEvents = (logs: string[]): string[] =>
  logs.map((line) => (JSON.parse(line) as { event: string }).event).filter((event) => event.startsWith('job.'));

describe('local host restart', () => {
  it('does not enqueue uploads that already fired, and leaves their records unchanged', async () => {
    const names = uniqueNames();
    const uploads = { 'a/photo.jpg': fixture('photo.jpg'), 'b/screen.png': fixture('screenshot.png'), 'c/notes.png': fixture('notes.txt') };

    const firstLogs: string[] = [];
    const first = await startTestHost({ names, logs: firstLogs });
    hosts.push(first);
    for (const [name, body] of Object.entries(uploads)) await first.upload(name, body);
    const before = new Map<string, { createdAt: string; etag: string | undefined }>();
    for (const name of Object.keys(uploads)) {
      const record = await first.waitForRecord(name);
      const properties = await first.storage.blobs
        .getContainerClient(names.resultsContainer)
        .getBlobClient(resultPath(name))
        .getProperties();
      before.set(name, { createdAt: record.createdAt, etag: properties.etag });
    }
    await first.stop();
    hosts.splice(0);
    // The first host did the work (a success for each image, a failure for the text file); its stop waited for the last log line.
    expect(jobEvents(firstLogs).filter((event) => event === 'job.succeeded' || event === 'job.failed')).toHaveLength(3);

    // The receipts the restart relies on are in the host's storage, one per upload.
    const receipts: string[] = [];
    for await (const blob of first.storage.blobs.getContainerClient(RECEIPTS_CONTAINER).listBlobsFlat({ prefix: `${RECEIPTS_ROOT}/` })) {
      if (blob.name.includes(`/${names.inputContainer}/`))
        receipts.push(blob.name.slice(blob.name.indexOf(`/${names.inputContainer}/`) + names.inputContainer.length + 2));
    }
    expect(receipts.sort()).toEqual(Object.keys(uploads).sort());

    const secondLogs: string[] = [];
    const second = await startTestHost({ names, logs: secondLogs });
    hosts.push(second);
    // The test host scans every 100 ms: wait for a good number of scans.
    await sleep(1_500);

    expect(jobEvents(secondLogs)).toEqual([]);
    expect(await messageCount(second.storage.queues.getQueueClient(names.jobsQueue))).toBe(0);
    for (const [name, was] of before) {
      const record = await second.results.read(resultPath(name));
      const properties = await second.storage.blobs
        .getContainerClient(names.resultsContainer)
        .getBlobClient(resultPath(name))
        .getProperties();
      expect(record?.createdAt).toBe(was.createdAt);
      expect(properties.etag).toBe(was.etag);
    }

    // The restarted host still works: a new upload fires, once.
    await second.upload('d/new.jpg', fixture('photo.jpg'));
    expect((await second.waitForRecord('d/new.jpg')).status).toBe('succeeded');
    await sleep(500);
    expect(jobEvents(secondLogs)).toEqual(['job.succeeded']);
  });
});
