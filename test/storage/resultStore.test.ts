/**
 * Each upload ends with exactly one record, and the right one: the replace rule on its own, then
 * racing conditional writes on real blob storage.
 */
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { EMPTY_USAGE, RESULT_SCHEMA_VERSION, type ResultRecord } from '../../src/contracts/resultRecord.js';
import { ResultStore, shouldReplace } from '../../src/storage/resultStore.js';
import { resultPath } from '../../src/contracts/blobPaths.js';
import { uniqueName } from '../support/storage.js';

const EARLY = '2024-03-01T10:00:00.000Z';
const LATE = '2024-03-01T10:00:05.000Z';

function record(status: 'succeeded' | 'failed', etag: string, lastModified: string | null, blob = 'a/photo.jpg'): ResultRecord {
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    status,
    source: { container: 'uploads', blob, etag, size: 3, sha256: null, mime: null, width: null, height: null, lastModified },
    profile: status === 'succeeded' ? 'describe' : null,
    provider: { name: 'offline', model: null },
    detail: null,
    usage: EMPTY_USAGE,
    timings: { downloadMs: null, prepareMs: null, modelMs: null, totalMs: 1 },
    attempt: 1,
    ...(status === 'succeeded'
      ? { data: { caption: etag } }
      : { error: { code: 'corrupt_image', message: 'bad bytes', retryable: false } }),
    warnings: [],
    createdAt: new Date().toISOString(),
  };
}

type Existing = Parameters<typeof shouldReplace>[0];
const existing = (status: string | undefined, sourceEtag: string | undefined, sourceLastModified: string | undefined): Existing => ({
  status,
  sourceEtag,
  sourceLastModified,
});

describe('shouldReplace', () => {
  const cases: [string, Existing, ResultRecord, boolean][] = [
    ['same content: a success is never replaced by a failure', existing('succeeded', 'e1', EARLY), record('failed', 'e1', EARLY), false],
    [
      'same content: a success is not rewritten by another success',
      existing('succeeded', 'e1', EARLY),
      record('succeeded', 'e1', EARLY),
      false,
    ],
    ['same content: a failure is replaced by a success', existing('failed', 'e1', EARLY), record('succeeded', 'e1', EARLY), true],
    ['same content: a failure is not rewritten by another failure', existing('failed', 'e1', EARLY), record('failed', 'e1', EARLY), false],
    ['newer content replaces an older success', existing('succeeded', 'e1', EARLY), record('succeeded', 'e2', LATE), true],
    ['newer content replaces an older success even when it failed', existing('succeeded', 'e1', EARLY), record('failed', 'e2', LATE), true],
    ['older content never replaces newer', existing('succeeded', 'e2', LATE), record('succeeded', 'e1', EARLY), false],
    ['older content never replaces newer, even a newer failure', existing('failed', 'e2', LATE), record('succeeded', 'e1', EARLY), false],
    ['without dates, a failure gives way', existing('failed', 'e1', ''), record('succeeded', 'e2', null), true],
    ['without dates, a success stays', existing('succeeded', 'e1', undefined), record('failed', 'e2', LATE), false],
    ['without dates, a success stays even for another success', existing('succeeded', 'e1', EARLY), record('succeeded', 'e2', null), false],
  ];
  it.each(cases)('%s', (_name, before, next, expected) => {
    expect(shouldReplace(before, next)).toBe(expected);
  });
});

describe("shouldReplace with the blob's current ETag", () => {
  it('prefers the version the blob holds now over dates, which have whole seconds only', () => {
    // Two uploads within the same second: Last-Modified cannot tell them apart.
    expect(shouldReplace(existing('succeeded', 'new', EARLY), record('succeeded', 'old', EARLY), 'new')).toBe(false);
    expect(shouldReplace(existing('succeeded', 'old', EARLY), record('succeeded', 'new', EARLY), 'new')).toBe(true);
    expect(shouldReplace(existing('succeeded', 'old', LATE), record('failed', 'new', EARLY), 'new')).toBe(true);
  });

  it('falls back to dates when neither version is current, and keeps the rule for the same content', () => {
    expect(shouldReplace(existing('succeeded', 'e1', EARLY), record('succeeded', 'e2', LATE), 'e3')).toBe(true);
    expect(shouldReplace(existing('succeeded', 'e2', LATE), record('succeeded', 'e1', EARLY), 'e3')).toBe(false);
    expect(shouldReplace(existing('succeeded', 'e1', EARLY), record('failed', 'e1', EARLY), 'e1')).toBe(false);
  });
});

describe('ResultStore.writeFinal on blob storage', () => {
  let container: ContainerClient;
  let store: ResultStore;

  beforeAll(async () => {
    const blobs = BlobServiceClient.fromConnectionString(inject('storageConnectionString'));
    container = blobs.getContainerClient(uniqueName('rs'));
    await container.create();
    store = new ResultStore(container);
  });

  async function recordsUnder(blob: string): Promise<string[]> {
    const names: string[] = [];
    for await (const item of container.listBlobsFlat({ prefix: blob })) names.push(item.name);
    return names;
  }

  it('writes, then keeps or replaces according to the rule', async () => {
    const blob = `${uniqueName('seq')}/x.png`;
    expect(await store.writeFinal(record('failed', 'e1', EARLY, blob))).toBe('written');
    expect(await store.writeFinal(record('succeeded', 'e1', EARLY, blob))).toBe('replaced');
    expect(await store.writeFinal(record('failed', 'e1', EARLY, blob))).toBe('kept-existing');
    expect(await store.writeFinal(record('succeeded', 'e0', '2024-02-01T00:00:00.000Z', blob))).toBe('kept-existing');
    expect(await store.hasSucceeded(blob, 'e1')).toBe(true);
    expect(await store.hasSucceeded(blob, 'e0')).toBe(false);
    expect((await store.read(resultPath(blob)))?.status).toBe('succeeded');
  });

  it('two concurrent writes of a success and a failure of the same content leave one record: the success', async () => {
    for (let round = 0; round < 8; round++) {
      const blob = `${uniqueName('race')}/photo.jpg`;
      const success = record('succeeded', 'e1', EARLY, blob);
      const failure = record('failed', 'e1', EARLY, blob);
      const writes = round % 2 === 0 ? [success, failure] : [failure, success];
      const outcomes = await Promise.all(writes.map((next) => store.writeFinal(next)));

      expect(await recordsUnder(blob)).toEqual([resultPath(blob)]);
      const stored = await store.read(resultPath(blob));
      expect(stored?.status).toBe('succeeded');
      expect(stored?.createdAt).toBe(success.createdAt);
      expect(outcomes.filter((outcome) => outcome === 'written')).toHaveLength(1);
    }
  });

  it('two concurrent writes for older and newer content leave one record: the newer', async () => {
    for (let round = 0; round < 8; round++) {
      const blob = `${uniqueName('race')}/photo.jpg`;
      const older = record('succeeded', 'old', EARLY, blob);
      const newer = record(round % 4 < 2 ? 'succeeded' : 'failed', 'new', LATE, blob);
      const writes = round % 2 === 0 ? [older, newer] : [newer, older];
      await Promise.all(writes.map((next) => store.writeFinal(next)));

      expect(await recordsUnder(blob)).toEqual([resultPath(blob)]);
      const stored = await store.read(resultPath(blob));
      expect(stored?.source.etag).toBe('new');
      expect(stored?.status).toBe(newer.status);
      expect(await store.hasSucceeded(blob, 'old')).toBe(false);
    }
  });

  it('two versions written within the same second keep the record of the one the blob holds now, in either order', async () => {
    for (const order of [0, 1]) {
      const blob = `${uniqueName('second')}/photo.jpg`;
      const current = new ResultStore(container, (name) => Promise.resolve(name === blob ? 'new' : undefined));
      const writes = [record('succeeded', 'new', EARLY, blob), record('succeeded', 'old', EARLY, blob)];
      for (const next of order === 0 ? writes : writes.reverse()) await current.writeFinal(next);
      expect((await current.read(resultPath(blob)))?.source.etag).toBe('new');
    }
  });

  it('many racing writers still agree on one record', async () => {
    const blob = `${uniqueName('herd')}/photo.jpg`;
    const writers = [
      record('failed', 'e1', EARLY, blob),
      record('succeeded', 'e1', EARLY, blob),
      record('failed', 'e2', LATE, blob),
      record('succeeded', 'e2', LATE, blob),
      record('failed', 'e2', LATE, blob),
      record('succeeded', 'e1', EARLY, blob),
    ];
    await Promise.all(writers.map((next) => store.writeFinal(next)));
    expect(await recordsUnder(blob)).toEqual([resultPath(blob)]);
    const stored = await store.read(resultPath(blob));
    expect([stored?.source.etag, stored?.status]).toEqual(['e2', 'succeeded']);
  });
});
