/**
 * Reads a whole blob as one version. `downloadToBuffer` asks for the size and then for the bytes in
 * separate requests, so a reader racing a writer (a record being replaced, an instance's limiter state
 * being refreshed) can get one version's size with another's bytes: a torn JSON body, or "Stream drains
 * before getting enough data". One GET answers from one version; if its stream breaks, the SDK resumes
 * it pinned to that version's ETag, and the 412 that follows a replacement means: read it again.
 */
import type { BlobClient } from '@azure/storage-blob';
import { readStream } from './readStream.js';
import { isStatus } from './storageErrors.js';

export interface BlobVersion {
  bytes: Buffer;
  etag: string;
}

/** Each re-read follows a replacement made during the previous one; a blob rewritten this often is a fault. */
const MAX_READS = 4;

/** The blob's bytes and ETag, or undefined when it does not exist. */
export async function readBlob(client: BlobClient, options: { abortSignal?: AbortSignal } = {}): Promise<BlobVersion | undefined> {
  for (let read = 1; ; read++) {
    try {
      const response = await client.download(0, undefined, options);
      return { bytes: await readStream(response.readableStreamBody), etag: response.etag ?? '' };
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      if (isStatus(error, 412) && read < MAX_READS) continue;
      throw error;
    }
  }
}

/**
 * The blob's JSON, parsed but unchecked (`T` is what the caller expects), or undefined when it does not
 * exist. A body that is not JSON throws a SyntaxError.
 */
export async function readJsonBlob<T>(client: BlobClient, options: { abortSignal?: AbortSignal } = {}): Promise<T | undefined> {
  const read = await readBlob(client, options);
  return read === undefined ? undefined : (JSON.parse(read.bytes.toString('utf8')) as T);
}
