/**
 * The enqueueUpload handler with the Event Grid events Azure delivers: a BlobCreated event of the input
 * container becomes the upload's job; an event of another type or another container enqueues nothing.
 */
import type { EventGridEvent } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobSubject } from '../../src/blobEvents.js';
import { enqueueUpload } from '../../src/functions/enqueueUpload.js';
import { parseJobMessage } from '../../src/contracts/jobMessage.js';
import { fixture } from '../support/fixtures.js';
import { uniqueName } from '../support/storage.js';
import { startTestHost, type TestHost } from '../support/testHost.js';

let host: TestHost;
const logs: string[] = [];

beforeAll(async () => {
  host = await startTestHost({ logs });
});

afterAll(async () => {
  await host.stop();
});

function eventFor(container: string, blob: string, eventType = 'Microsoft.Storage.BlobCreated'): EventGridEvent {
  return {
    topic: '/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a',
    subject: blobSubject(container, blob),
    eventType,
    eventTime: new Date().toISOString(),
    id: uniqueName('event'),
    data: { url: `https://a.blob.core.windows.net/${container}/${encodeURIComponent(blob)}` },
    dataVersion: '',
    metadataVersion: '1',
  };
}

const ignored = (): string[] =>
  logs
    .map((line) => JSON.parse(line) as { event: string; eventId?: string })
    .filter((line) => line.event === 'upload.event_ignored')
    .map((line) => line.eventId ?? '');

describe('enqueueUpload', () => {
  it('returns the job of the blob a BlobCreated event of the input container names', async () => {
    const etag = await host.upload('events/sub dir/photo 100%.jpg', fixture('photo.jpg'));
    const message = await enqueueUpload(eventFor(host.config.names.inputContainer, 'events/sub dir/photo 100%.jpg'));
    expect(message).toBeDefined();
    const job = parseJobMessage(message, host.config.names.inputContainer);
    expect(job).toMatchObject({ container: host.config.names.inputContainer, blob: 'events/sub dir/photo 100%.jpg', etag });
    expect(job.contentLength).toBe(fixture('photo.jpg').length);
  });

  it('ignores, and logs, events of another container or another type', async () => {
    // The same name exists in the input container: only the event's container decides.
    await host.upload('shared.jpg', fixture('photo.jpg'));
    const otherContainer = eventFor(uniqueName('other'), 'shared.jpg');
    const deleted = eventFor(host.config.names.inputContainer, 'shared.jpg', 'Microsoft.Storage.BlobDeleted');
    const notABlob = { ...eventFor(host.config.names.inputContainer, 'shared.jpg'), subject: 'BlobDataManagement/BlobInventory' };
    for (const event of [otherContainer, deleted, notABlob]) expect(await enqueueUpload(event), event.subject).toBeUndefined();
    expect(ignored()).toEqual(expect.arrayContaining([otherContainer.id, deleted.id, notABlob.id]));
  });
});
