/**
 * The local BlobCreated event source against real containers on Azurite: one event per blob and ETag,
 * built from the listing without reading any blob; receipts that survive a restart; overwrites that are
 * announced again; retries on a schedule; and a dead-lettered event after the last attempt.
 */
import type { EventGridEvent } from '@azure/functions';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { blobOfSubject } from '../../src/blobEvents.js';
import { silentLogger } from '../../src/log.js';
import { BlobCreatedEvents, RECEIPTS_CONTAINER, type DeadLetteredEvent } from '../../src/local/blobCreatedEvents.js';
import { BLOB_CREATED_SUBSCRIPTION, DEFAULT_NAMES } from '../../src/names.js';
import { sleep, uniqueName, waitFor } from '../support/storage.js';

const connectionString = inject('storageConnectionString');

const blobs = BlobServiceClient.fromConnectionString(connectionString);

/** Requests the event source sends, seen by a proxy in front of Azurite that only its own client goes through. */
const requests: { method: string; url: URL }[] = [];
let proxy: Server;
let observedBlobs: BlobServiceClient;

beforeAll(async () => {
  const target = new URL(blobs.url);
  proxy = createServer((incoming, outgoing) => {
    requests.push({ method: incoming.method ?? '', url: new URL(incoming.url ?? '/', target) });
    const forward = httpRequest(
      { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as AddressInfo;
  // Shared Key signs the account and path, not the host: the same connection string works through the proxy.
  observedBlobs = BlobServiceClient.fromConnectionString(connectionString.replace(target.origin, `http://127.0.0.1:${port}`));
});

afterAll(async () => {
  await new Promise((resolve) => proxy.close(resolve));
});

const deadLetters = blobs.getContainerClient(DEFAULT_NAMES.deadLetterContainer);

const POLL_MS = 50;
/** Long enough for several scans to pass. */
const SEVERAL_SCANS_MS = 12 * POLL_MS;

const running: BlobCreatedEvents[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((source) => source.stop()));
});

async function freshContainer(): Promise<ContainerClient> {
  const container = blobs.getContainerClient(uniqueName('bce'));
  await container.create();
  return container;
}

/** The ETag of what was written, as a listing spells it (the upload's ETag header adds quotes). */
async function upload(container: ContainerClient, name: string, body: string, contentType?: string): Promise<string> {
  const response = await container
    .getBlockBlobClient(name)
    .upload(body, Buffer.byteLength(body), contentType === undefined ? {} : { blobHTTPHeaders: { blobContentType: contentType } });
  return (response.etag ?? '').replace(/^"(.*)"$/, '$1');
}

const nameOf = (event: EventGridEvent): string => blobOfSubject(event.subject)?.blob ?? '<not a blob subject>';

async function startSource(
  container: ContainerClient,
  hostId: string,
  deliver: (event: EventGridEvent) => Promise<void> = () => Promise.resolve(),
  retryDelaysMs: readonly number[] = [POLL_MS],
): Promise<{ source: BlobCreatedEvents; events: EventGridEvent[] }> {
  const events: EventGridEvent[] = [];
  const source = new BlobCreatedEvents({
    hostId,
    container: observedBlobs.getContainerClient(container.containerName),
    receipts: blobs.getContainerClient(RECEIPTS_CONTAINER),
    deadLetters,
    logger: silentLogger,
    pollMs: POLL_MS,
    concurrency: 4,
    retryDelaysMs,
    deliver: async (event) => {
      events.push(structuredClone(event));
      await deliver(event);
    },
  });
  await source.start();
  running.push(source);
  return { source, events };
}

async function deadLettersFor(containerName: string): Promise<{ path: string; events: DeadLetteredEvent[] }[]> {
  const found: { path: string; events: DeadLetteredEvent[] }[] = [];
  for await (const blob of deadLetters.listBlobsFlat({ prefix: `${BLOB_CREATED_SUBSCRIPTION.name.toUpperCase()}/` })) {
    const events = JSON.parse((await deadLetters.getBlobClient(blob.name).downloadToBuffer()).toString('utf8')) as DeadLetteredEvent[];
    if (events.some((event) => blobOfSubject(event.subject)?.container === containerName)) found.push({ path: blob.name, events });
  }
  return found;
}

const names = (events: EventGridEvent[]): string[] => events.map(nameOf).sort();

describe('BlobCreatedEvents', () => {
  it('delivers one BlobCreated event per blob, built from the listing without reading any blob', async () => {
    const container = await freshContainer();
    const etags = {
      'a.png': await upload(container, 'a.png', 'alpha', 'image/png'),
      'folder/sub dir/ünï 100%.jpg': await upload(container, 'folder/sub dir/ünï 100%.jpg', 'beta'),
    };
    requests.length = 0;
    const { events } = await startSource(container, uniqueName('host'));
    await waitFor('both events', () => events.length >= 2);
    // A blob uploaded while the source runs is announced too.
    const lateEtag = await upload(container, 'late.txt', 'gamma');
    await waitFor('the late event', () => events.some((event) => nameOf(event) === 'late.txt'));
    await sleep(SEVERAL_SCANS_MS);

    expect(names(events)).toEqual(['a.png', 'folder/sub dir/ünï 100%.jpg', 'late.txt']);
    const byName = new Map(events.map((event) => [nameOf(event), event]));
    const nested = byName.get('folder/sub dir/ünï 100%.jpg');
    // The subject carries the name as stored; only the URL is percent-encoded.
    expect(nested).toMatchObject({
      subject: `/blobServices/default/containers/${container.containerName}/blobs/folder/sub dir/ünï 100%.jpg`,
      eventType: 'Microsoft.Storage.BlobCreated',
      dataVersion: '',
      metadataVersion: '1',
      topic: expect.stringMatching(/\/providers\/Microsoft\.Storage\/storageAccounts\/devstoreaccount1$/),
      data: { eTag: `"${etags['folder/sub dir/ünï 100%.jpg']}"`, contentLength: 4, blobType: 'BlockBlob' },
    });
    expect(String(nested?.data?.['url'])).toMatch(new RegExp(`/${container.containerName}/folder/sub%20dir/%C3%BCn%C3%AF%20100%25\\.jpg$`));
    expect(byName.get('a.png')?.data).toMatchObject({ eTag: `"${etags['a.png']}"`, contentType: 'image/png', contentLength: 5 });
    expect(byName.get('late.txt')?.data?.['eTag']).toBe(`"${lateEtag}"`);
    expect(new Set(events.map((event) => event.id)).size).toBe(3);
    for (const event of events) expect(Number.isNaN(Date.parse(event.eventTime))).toBe(false);

    // Listing the container is all it asked of storage: no GET or HEAD of a blob.
    const blobRequests = requests.filter((request) => !request.url.searchParams.has('restype'));
    expect(requests.length).toBeGreaterThan(0);
    expect(blobRequests.map((request) => `${request.method} ${request.url.pathname}`)).toEqual([]);
  });

  it('does not announce unchanged blobs again after a restart with the same host id, and announces an overwrite', async () => {
    const container = await freshContainer();
    const hostId = uniqueName('host');
    await upload(container, 'one.png', 'same bytes');
    await upload(container, 'two.png', 'other bytes');
    const first = await startSource(container, hostId);
    await waitFor('both events', () => first.events.length === 2);
    await first.source.stop();

    const second = await startSource(container, hostId);
    await sleep(SEVERAL_SCANS_MS);
    expect(second.events).toEqual([]);

    // Writing the same bytes again still makes new content (a new ETag): it is announced, once.
    const newEtag = await upload(container, 'one.png', 'same bytes');
    await waitFor('the overwrite event', () => second.events.length === 1);
    await sleep(SEVERAL_SCANS_MS);
    expect(second.events.map((event) => [nameOf(event), event.data?.['eTag']])).toEqual([['one.png', `"${newEtag}"`]]);
    expect(`"${newEtag}"`).not.toBe(first.events.find((event) => nameOf(event) === 'one.png')?.data?.['eTag']);

    // Receipts belong to a host id: another host has announced nothing yet.
    const other = await startSource(container, uniqueName('host'));
    await waitFor('another host to announce both', () => other.events.length === 2);
    expect(names(other.events)).toEqual(['one.png', 'two.png']);
  });

  it('retries a failing delivery of the same event after the retry delay and stops once it succeeds', async () => {
    const container = await freshContainer();
    await upload(container, 'flaky.png', 'x');
    const RETRY_MS = 400;
    let calls = 0;
    const { events } = await startSource(
      container,
      uniqueName('host'),
      () => {
        calls++;
        return calls < 3 ? Promise.reject(new Error(`transient ${calls}`)) : Promise.resolve();
      },
      [RETRY_MS],
    );
    const started = Date.now();
    await waitFor('the third attempt', () => calls === 3);
    const took = Date.now() - started;
    await sleep(SEVERAL_SCANS_MS);
    expect(events).toHaveLength(3);
    // Redeliveries of one event, as Event Grid retries: the same id each time, after the delay and not on every scan.
    expect(new Set(events.map((event) => event.id)).size).toBe(1);
    expect(took).toBeGreaterThanOrEqual(2 * RETRY_MS);
    expect(await deadLettersFor(container.containerName)).toEqual([]);
  });

  it('dead-letters an event whose delivery fails five times, as Event Grid writes it, and stops delivering it', async () => {
    const container = await freshContainer();
    const hostId = uniqueName('host');
    const badEtag = await upload(container, 'bad.png', 'dead-letter me');
    await upload(container, 'good.png', 'fine');
    const { events } = await startSource(container, hostId, (event) =>
      nameOf(event) === 'bad.png' ? Promise.reject(new Error('cannot handle')) : Promise.resolve(),
    );

    const deadLettered = await waitFor('the dead-lettered event', async () => {
      const found = await deadLettersFor(container.containerName);
      return found.length > 0 ? found : undefined;
    });
    await sleep(SEVERAL_SCANS_MS);

    expect(deadLettered).toHaveLength(1);
    const [only] = deadLettered;
    expect(only?.path).toMatch(/^ENQUEUE-UPLOAD-BLOB-CREATED\/\d{4}\/\d{1,2}\/\d{1,2}\/\d{1,2}\/[0-9a-f-]{36}\.json$/);
    const badEvents = events.filter((event) => nameOf(event) === 'bad.png');
    expect(badEvents).toHaveLength(BLOB_CREATED_SUBSCRIPTION.maxDeliveryAttempts);
    expect(only?.events).toEqual([
      {
        ...badEvents[0],
        deadLetterReason: 'MaxDeliveryAttemptsExceeded',
        deliveryAttempts: 5,
        lastDeliveryOutcome: 'cannot handle',
        lastHttpStatusCode: 500,
        publishTime: badEvents[0]?.eventTime,
        lastDeliveryAttemptTime: expect.any(String),
      },
    ]);
    expect(only?.events[0]?.data?.['eTag']).toBe(`"${badEtag}"`);
    expect(events.filter((event) => nameOf(event) === 'good.png')).toHaveLength(1);

    // The dead-lettered event is settled: a restarted host does not deliver it again.
    const restarted = await startSource(container, hostId);
    await sleep(SEVERAL_SCANS_MS);
    expect(restarted.events).toEqual([]);
  });
});
