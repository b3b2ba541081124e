/**
 * The local blob trigger against real containers on Azurite: one invocation per blob and ETag,
 * receipts that survive a restart, overwrites that fire again, and the poison queue after five failures.
 */
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { BLOB_TRIGGER_POISON_QUEUE, BlobTrigger, RECEIPTS_CONTAINER, type BlobHandlerInput } from '../../src/local/blobTrigger.js';
import { sleep, uniqueName, waitFor } from '../support/storage.js';

const connectionString = inject('storageConnectionString');
const blobs = BlobServiceClient.fromConnectionString(connectionString);
const queues = QueueServiceClient.fromConnectionString(connectionString);
const poisonQueue = queues.getQueueClient(BLOB_TRIGGER_POISON_QUEUE);

const POLL_MS = 50;
/** Long enough for several scans to pass. */
const SEVERAL_SCANS_MS = 12 * POLL_MS;

const running: BlobTrigger[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((trigger) => trigger.stop()));
});

interface Invocation {
  name: string;
  etag: unknown;
  content: Buffer;
  input: BlobHandlerInput;
}

async function freshContainer(): Promise<ContainerClient> {
  const container = blobs.getContainerClient(uniqueName('bt'));
  await container.create();
  return container;
}

/** The ETag of what was written, as a listing spells it (the upload's ETag header adds quotes). */
async function upload(container: ContainerClient, name: string, body: string, metadata?: Record<string, string>): Promise<string> {
  const response = await container
    .getBlockBlobClient(name)
    .upload(body, Buffer.byteLength(body), metadata === undefined ? {} : { metadata });
  return (response.etag ?? '').replace(/^"(.*)"$/, '$1');
}

async function startTrigger(
  container: ContainerClient,
  hostId: string,
  handler: (input: BlobHandlerInput) => Promise<void> = () => Promise.resolve(),
): Promise<{ trigger: BlobTrigger; invocations: Invocation[] }> {
  const invocations: Invocation[] = [];
  const trigger = new BlobTrigger({
    functionName: 'enqueueUpload',
    hostId,
    container,
    receipts: blobs.getContainerClient(RECEIPTS_CONTAINER),
    poison: poisonQueue,
    logger: silentLogger,
    pollMs: POLL_MS,
    concurrency: 4,
    handler: async (input) => {
      const properties = input.triggerMetadata['properties'] as { eTag?: unknown } | undefined;
      invocations.push({ name: String(input.triggerMetadata['name']), etag: properties?.eTag, content: input.content, input });
      await handler(input);
    },
  });
  await trigger.start();
  running.push(trigger);
  return { trigger, invocations };
}

interface PoisonMessage {
  FunctionId: string;
  BlobType: string;
  ContainerName: string;
  BlobName: string;
  ETag: string;
}

async function poisonMessagesFor(containerName: string): Promise<PoisonMessage[]> {
  if (!(await poisonQueue.exists())) return [];
  const { peekedMessageItems } = await poisonQueue.peekMessages({ numberOfMessages: 32 });
  return peekedMessageItems
    .map((message) => JSON.parse(Buffer.from(message.messageText, 'base64').toString('utf8')) as PoisonMessage)
    .filter((message) => message.ContainerName === containerName);
}

const names = (invocations: Invocation[]): string[] => invocations.map((invocation) => invocation.name).sort();

describe('BlobTrigger', () => {
  it('fires once per blob with the content and the trigger metadata the host provides', async () => {
    const container = await freshContainer();
    const etags = {
      'a.png': await upload(container, 'a.png', 'alpha'),
      'folder/sub dir/ünï.jpg': await upload(container, 'folder/sub dir/ünï.jpg', 'beta', { profile: 'invoice' }),
    };
    const { invocations } = await startTrigger(container, uniqueName('host'));
    await waitFor('both blobs to fire', () => invocations.length >= 2);
    // A blob uploaded while the trigger runs fires too.
    const lateEtag = await upload(container, 'late.txt', 'gamma');
    await waitFor('the late blob to fire', () => invocations.some((invocation) => invocation.name === 'late.txt'));
    await sleep(SEVERAL_SCANS_MS);

    expect(names(invocations)).toEqual(['a.png', 'folder/sub dir/ünï.jpg', 'late.txt']);
    const byName = new Map(invocations.map((invocation) => [invocation.name, invocation]));
    expect(byName.get('a.png')?.content.toString()).toBe('alpha');
    expect(byName.get('late.txt')?.etag).toBe(lateEtag);

    const nested = byName.get('folder/sub dir/ünï.jpg');
    expect(nested?.content.toString()).toBe('beta');
    expect(nested?.etag).toBe(etags['folder/sub dir/ünï.jpg']);
    expect(nested?.input.triggerMetadata).toMatchObject({
      blobTrigger: `${container.containerName}/folder/sub dir/ünï.jpg`,
      name: 'folder/sub dir/ünï.jpg',
      metadata: { profile: 'invoice' },
    });
    expect(byName.get('a.png')?.input.triggerMetadata['metadata']).toEqual({});
    expect(String(nested?.input.triggerMetadata['uri'])).toContain(container.containerName);
    expect(new Set(invocations.map((invocation) => invocation.input.invocationId)).size).toBe(3);
  });

  it('does not fire again for unchanged blobs after a restart with the same host id, and fires for an overwrite', async () => {
    const container = await freshContainer();
    const hostId = uniqueName('host');
    await upload(container, 'one.png', 'same bytes');
    await upload(container, 'two.png', 'other bytes');
    const first = await startTrigger(container, hostId);
    await waitFor('both blobs to fire', () => first.invocations.length === 2);
    await first.trigger.stop();

    const second = await startTrigger(container, hostId);
    await sleep(SEVERAL_SCANS_MS);
    expect(second.invocations).toEqual([]);

    // Writing the same bytes again still makes new content (a new ETag): it fires, once.
    const newEtag = await upload(container, 'one.png', 'same bytes');
    await waitFor('the overwrite to fire', () => second.invocations.length === 1);
    await sleep(SEVERAL_SCANS_MS);
    expect(second.invocations.map((invocation) => [invocation.name, invocation.etag])).toEqual([['one.png', newEtag]]);
    expect(newEtag).not.toBe(first.invocations.find((invocation) => invocation.name === 'one.png')?.etag);

    // Receipts belong to a host id: another host has not seen these blobs.
    const other = await startTrigger(container, uniqueName('host'));
    await waitFor('another host to fire for both', () => other.invocations.length === 2);
    expect(names(other.invocations)).toEqual(['one.png', 'two.png']);
  });

  it('retries a failing blob on later scans and stops once it succeeds', async () => {
    const container = await freshContainer();
    await upload(container, 'flaky.png', 'x');
    let calls = 0;
    const { invocations } = await startTrigger(container, uniqueName('host'), () => {
      calls++;
      return calls < 3 ? Promise.reject(new Error(`transient ${calls}`)) : Promise.resolve();
    });
    await waitFor('the third try', () => calls === 3);
    await sleep(SEVERAL_SCANS_MS);
    expect(invocations).toHaveLength(3);
    expect(await poisonMessagesFor(container.containerName)).toEqual([]);
  });

  it('sends a blob that fails five times to webjobs-blobtrigger-poison and stops retrying it', async () => {
    const container = await freshContainer();
    const hostId = uniqueName('host');
    const badEtag = await upload(container, 'bad.png', 'poison me');
    await upload(container, 'good.png', 'fine');
    const { invocations } = await startTrigger(container, hostId, (input) =>
      input.triggerMetadata['name'] === 'bad.png' ? Promise.reject(new Error('cannot handle')) : Promise.resolve(),
    );

    const poisoned = await waitFor('the poison message', async () => {
      const messages = await poisonMessagesFor(container.containerName);
      return messages.length > 0 ? messages : undefined;
    });
    await sleep(SEVERAL_SCANS_MS);

    expect(poisoned).toEqual([
      {
        FunctionId: 'Host.Functions.enqueueUpload',
        BlobType: 'BlockBlob',
        ContainerName: container.containerName,
        BlobName: 'bad.png',
        ETag: badEtag,
      },
    ]);
    expect(invocations.filter((invocation) => invocation.name === 'bad.png')).toHaveLength(5);
    expect(invocations.filter((invocation) => invocation.name === 'good.png')).toHaveLength(1);

    // The poisoned blob is settled: a restarted host does not try it again.
    const restarted = await startTrigger(container, hostId);
    await sleep(SEVERAL_SCANS_MS);
    expect(restarted.invocations).toEqual([]);
  });
});
