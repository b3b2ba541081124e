/** Reading a blob while it is being replaced: every read is one whole version, with that version's ETag. */
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { readBlob, readJsonBlob } from '../../src/storage/readBlob.js';
import { uniqueName } from '../support/storage.js';

describe('readBlob', () => {
  let container: ContainerClient;
  beforeAll(async () => {
    const blobs = BlobServiceClient.fromConnectionString(inject('storageConnectionString'));
    container = blobs.getContainerClient(uniqueName('reads'));
    await container.create();
  });

  it('reads one whole version while a writer keeps replacing the blob with bodies of other lengths', async () => {
    const client = container.getBlockBlobClient('record.json');
    // Lengths differ from one version to the next, so a size from one and bytes from another cannot pass.
    const body = (version: number): string => JSON.stringify({ version, padding: 'x'.repeat(1_000 + (version % 7) * 13) });
    const written = new Map<string, string>();
    const write = async (version: number): Promise<void> => {
      const text = body(version);
      const response = await client.upload(text, text.length);
      written.set(response.etag ?? '', text);
    };
    await write(0);
    let writing = true;
    const writer = (async () => {
      for (let version = 1; writing; version++) await write(version);
    })();
    const reads: { text: string; etag: string }[] = [];
    try {
      for (let i = 0; i < 300; i++) {
        const read = await readBlob(client);
        if (read === undefined) throw new Error('the blob vanished');
        reads.push({ text: read.bytes.toString('utf8'), etag: read.etag });
      }
    } finally {
      writing = false;
      await writer;
    }
    const versions = new Set(reads.map((read) => (JSON.parse(read.text) as { version: number }).version));
    // The reads overlapped the writes, or they prove nothing.
    expect(versions.size).toBeGreaterThan(10);
    for (const read of reads) expect(read.text).toBe(written.get(read.etag));
  });

  it('is undefined for a blob that does not exist', async () => {
    expect(await readBlob(container.getBlockBlobClient('missing.json'))).toBeUndefined();
    expect(await readJsonBlob(container.getBlockBlobClient('missing.json'))).toBeUndefined();
  });
});
