/**
 * When enqueueing keeps failing, through the local host: the upload's BlobCreated event is delivered
 * five times, then dead-lettered to eventgrid-deadletter as Event Grid writes it; the recordStranded
 * sweep leaves it there while the cause lasts, and once it is fixed enqueues the upload and deletes the
 * dead letter, so the upload gets its record without being uploaded again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobOfSubject } from '../../src/blobEvents.js';
import type { DeadLetteredEvent } from '../../src/local/blobCreatedEvents.js';
import { BLOB_CREATED_SUBSCRIPTION } from '../../src/names.js';
import { readBlob } from '../../src/storage/readBlob.js';
import { resultPath } from '../../src/contracts/blobPaths.js';
import { fixture } from '../support/fixtures.js';
import { waitFor } from '../support/storage.js';
import { startTestHost, type TestHost } from '../support/testHost.js';

let host: TestHost;
const logs: string[] = [];

beforeAll(async () => {
  // A sweep every second, instead of every five minutes.
  host = await startTestHost({ logs, env: { STRANDED_SWEEP_SCHEDULE: '*/1 * * * * *' } });
});

afterAll(async () => {
  await host.stop();
});

async function deadLettered(): Promise<DeadLetteredEvent[]> {
  const container = host.storage.blobs.getContainerClient(host.config.names.deadLetterContainer);
  const found: DeadLetteredEvent[] = [];
  for await (const blob of container.listBlobsFlat({ prefix: `${BLOB_CREATED_SUBSCRIPTION.name.toUpperCase()}/` })) {
    // The sweep may delete it between the listing and the read.
    const read = await readBlob(container.getBlobClient(blob.name));
    const events = read === undefined ? [] : (JSON.parse(read.bytes.toString('utf8')) as DeadLetteredEvent[]);
    found.push(...events.filter((event) => blobOfSubject(event.subject)?.container === host.config.names.inputContainer));
  }
  return found;
}

const logged = (event: string): Record<string, unknown>[] =>
  logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line['event'] === event);

describe('an upload whose enqueue keeps failing', () => {
  it('is dead-lettered after five deliveries, and enqueued by the sweep once the cause is fixed', { timeout: 60_000 }, async () => {
    const jobs = host.storage.queues.getQueueClient(host.config.names.jobsQueue);
    // The job message cannot be written: every invocation of enqueueUpload fails, and so does the sweep's enqueue.
    await jobs.delete();
    const etag = await host.upload('stuck/photo.jpg', fixture('photo.jpg'));

    const [event] = await waitFor('the dead-lettered event', async () => {
      const found = await deadLettered();
      return found.length > 0 ? found : undefined;
    });
    expect(event).toMatchObject({
      subject: `/blobServices/default/containers/${host.config.names.inputContainer}/blobs/stuck/photo.jpg`,
      eventType: 'Microsoft.Storage.BlobCreated',
      deadLetterReason: 'MaxDeliveryAttemptsExceeded',
      deliveryAttempts: BLOB_CREATED_SUBSCRIPTION.maxDeliveryAttempts,
      lastHttpStatusCode: 500,
    });
    expect(logged('host.event_delivery_failed').filter((line) => line['blob'] === 'stuck/photo.jpg')).toHaveLength(4);
    expect(logged('host.event_dead_lettered')).toEqual([expect.objectContaining({ blob: 'stuck/photo.jpg', attempt: 5, of: 5 })]);
    // While the queue is gone the sweep fails too, and the dead letter stays for the next one.
    await waitFor('a sweep that could not enqueue', async () => (logged('stranded.dead_letter_failed').length > 0 ? true : undefined));
    expect(await deadLettered()).toHaveLength(1);
    expect(await host.results.read(resultPath('stuck/photo.jpg'))).toBeUndefined();

    // Fixed: the next sweep enqueues the upload as it is; nobody uploads it again.
    await jobs.create();
    const record = await host.waitForRecord('stuck/photo.jpg', { timeoutMs: 30_000 });
    expect(record.status).toBe('succeeded');
    expect(record.source.etag).toBe(etag);
    await waitFor('the dead letter deleted', async () => ((await deadLettered()).length === 0 ? true : undefined));
    expect(logged('stranded.upload_enqueued')).toEqual([expect.objectContaining({ blob: 'stuck/photo.jpg', job: true })]);
  });
});
