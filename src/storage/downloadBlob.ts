import type { ContainerClient } from '@azure/storage-blob';
import { PermanentError } from '../errors.js';
import { readStream } from './readStream.js';
import { isStatus, storageUnavailable } from './storageErrors.js';

export interface DownloadedBlob {
  bytes: Buffer;
  etag: string;
  lastModified: Date | undefined;
  metadata: Record<string, string>;
}

/** Reads a blob into memory, refusing more than `maxBytes` before and while reading (memory stays bounded). */
export async function downloadBlob(
  container: ContainerClient,
  name: string,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<DownloadedBlob> {
  const tooLarge = (size: number): PermanentError =>
    new PermanentError('file_too_large', `"${name}" is ${size} bytes; the limit is ${maxBytes} bytes (MAX_BLOB_BYTES)`, {
      details: { size, limit: maxBytes },
    });
  const abort = new AbortController();
  const onAbort = (): void => abort.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let response;
    try {
      response = await container.getBlobClient(name).download(0, undefined, { abortSignal: abort.signal });
    } catch (error) {
      if (isStatus(error, 404)) {
        throw new PermanentError('blob_not_found', `"${name}" no longer exists in container "${container.containerName}"`);
      }
      throw storageUnavailable(error, `downloading "${name}"`);
    }
    const stream = response.readableStreamBody;
    /** Ends a refused download; the abort makes the stream emit an error that, unheard, would end the process. */
    const refuse = (size: number): PermanentError => {
      stream?.on('error', () => undefined);
      abort.abort();
      return tooLarge(size);
    };
    const declared = response.contentLength ?? 0;
    if (declared > maxBytes) throw refuse(declared);
    let bytes: Buffer;
    try {
      bytes = await readStream(stream, (total) => {
        if (total > maxBytes) throw refuse(total);
      });
    } catch (error) {
      if (error instanceof PermanentError) throw error;
      throw storageUnavailable(error, `reading "${name}"`);
    }
    return {
      bytes,
      etag: response.etag ?? '',
      lastModified: response.lastModified,
      metadata: response.metadata ?? {},
    };
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
