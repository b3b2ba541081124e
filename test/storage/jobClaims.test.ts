/** Claims on real blob storage: one message works on a job, its redelivery takes it back, an expired one is taken over. */
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { JobClaims } from '../../src/storage/jobClaims.js';
import { uniqueName } from '../support/storage.js';

const TTL_MS = 60_000;

describe('JobClaims', () => {
  let container: ContainerClient;
  let now = 1_000_000;
  let claims: JobClaims;
  beforeAll(async () => {
    const blobs = BlobServiceClient.fromConnectionString(inject('storageConnectionString'));
    container = blobs.getContainerClient(uniqueName('claims'));
    await container.create();
    claims = new JobClaims(container, () => now);
  });
  const job = (blob: string, etag = '"0x1"') => ({ container: 'uploads', blob, etag });

  it('lets one of many racing messages claim a job, and tells the others which holds it', async () => {
    const outcomes = await Promise.all(['m1', 'm2', 'm3', 'm4'].map((id) => claims.claim(job('race.jpg'), id, TTL_MS)));
    const won = outcomes.filter((outcome) => outcome.claimed);
    expect(won).toHaveLength(1);
    const holder = ['m1', 'm2', 'm3', 'm4'][outcomes.findIndex((outcome) => outcome.claimed)];
    for (const outcome of outcomes) if (!outcome.claimed) expect(outcome.heldBy).toBe(holder);
  });

  it('gives a redelivery of the holding message its claim back', async () => {
    const first = await claims.claim(job('crash.jpg'), 'm1', TTL_MS);
    const again = await claims.claim(job('crash.jpg'), 'm1', TTL_MS);
    expect(first.claimed && again.claimed).toBe(true);
    expect(await claims.claim(job('crash.jpg'), 'm2', TTL_MS)).toMatchObject({ claimed: false, heldBy: 'm1' });
  });

  it('lets another message take over an expired claim', async () => {
    await claims.claim(job('expired.jpg'), 'm1', TTL_MS);
    now += TTL_MS + 1;
    expect(await claims.claim(job('expired.jpg'), 'm2', TTL_MS)).toMatchObject({ claimed: true });
    expect(await claims.claim(job('expired.jpg'), 'm1', TTL_MS)).toMatchObject({ claimed: false, heldBy: 'm2' });
  });

  it('claims another version of a blob separately', async () => {
    expect(await claims.claim(job('versions.jpg', '"0x1"'), 'm1', TTL_MS)).toMatchObject({ claimed: true });
    expect(await claims.claim(job('versions.jpg', '"0x2"'), 'm2', TTL_MS)).toMatchObject({ claimed: true });
  });

  it('releases only the claim it took: one taken over since stays', async () => {
    const first = await claims.claim(job('release.jpg'), 'm1', TTL_MS);
    if (!first.claimed) throw new Error('expected the claim');
    await claims.release(job('release.jpg'), first.etag);
    expect(await claims.claim(job('release.jpg'), 'm2', TTL_MS)).toMatchObject({ claimed: true });
    // m1's etag no longer matches: m2's claim stands.
    await claims.release(job('release.jpg'), first.etag);
    expect(await claims.claim(job('release.jpg'), 'm3', TTL_MS)).toMatchObject({ claimed: false, heldBy: 'm2' });
  });
});
