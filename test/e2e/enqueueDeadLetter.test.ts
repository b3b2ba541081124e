/**
 * When enqueueing keeps failing, through the local host: the upload's BlobCreated event is delivered
 * five times, then dead-lettered to eventgrid-deadletter as Event Grid writes it, with no job and no
 * record; once the cause is fixed, uploading it again enqueues it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobOfSubject } from '../../src/blobEvents.js';
import type { DeadLetteredEvent } from '../../src/local/blobCreatedEvents.js';
import { BLOB_CREATED_SUBSCRIPTION } from '../../src/names.js';
import { resultPath } from '../../src/storage/resultStore.js';
import { fixture } from '../support/fixtures.js';
import { waitFor } from '../support/storage.js';
import { startTestHost, type TestHost } from '../support/testHost.js';

let host: TestHost;
const logs: string[] = [];

beforeAll(async () => {
  host = await startTestHost({ logs });
});

afterAll(async () => {
  await host.stop();
});

async function deadLettered(): Promise<DeadLetteredEvent[]> {
  const container = host.storage.blobs.getContainerClient(BLOB_CREATED_SUBSCRIPTION.deadLetterContainer);
  const found: DeadLetteredEvent[] = [];
  for await (const blob of container.listBlobsFlat({ prefix: `${BLOB_CREATED_SUBSCRIPTION.name.toUpperCase()}/` })) {
    const events = JSON.parse((await container.getBlobClient(blob.name).downloadToBuffer()).toString('utf8')) as DeadLetteredEvent[];
    found.push(...events.filter((event) => blobOfSubject(event.subject)?.container === host.config.names.inputContainer));
  }
  return found;
}

const logged = (event: string): Record<string, unknown>[] =>
  logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line['event'] === event);

describe('an upload whose enqueue keeps failing', () => {
  it('is dead-lettered after five deliveries, and enqueued once uploaded again after the fix', async () => {
    const jobs = host.storage.queues.getQueueClient(host.config.names.jobsQueue);
    // The job message cannot be written: every invocation of enqueueUpload fails.
    await jobs.delete();
    await host.upload('stuck/photo.jpg', fixture('photo.jpg'));

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
    expect(await host.results.read(resultPath('stuck/photo.jpg'))).toBeUndefined();

    // Fixed: a new upload is a new ETag and a new event.
    await jobs.create();
    await host.upload('stuck/photo.jpg', fixture('photo.jpg'));
    expect((await host.waitForRecord('stuck/photo.jpg')).status).toBe('succeeded');
    expect(await deadLettered()).toHaveLength(1);
  });
});
