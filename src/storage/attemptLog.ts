/**
 * What each failed attempt of a job saw. The poison copy of a message carries only the job, so this is
 * how `recordPoison` can say how many attempts ran and what the last error was.
 */
import type { ContainerClient } from '@azure/storage-blob';
import { attemptPath } from '../contracts/blobPaths.js';
import { readJsonBlob } from './readBlob.js';

export interface AttemptEntry {
  at: string;
  attempt: number;
  code: string;
  message: string;
}

export interface AttemptHistory {
  etag: string;
  attempts: AttemptEntry[];
}

const KEEP = 10;

export class AttemptLog {
  constructor(private readonly container: ContainerClient) {}

  private client(blobName: string) {
    return this.container.getBlockBlobClient(attemptPath(blobName));
  }

  async read(blobName: string, etag: string): Promise<AttemptEntry[]> {
    const history = await readJsonBlob<AttemptHistory>(this.client(blobName));
    return history?.etag === etag ? history.attempts : [];
  }

  async append(blobName: string, etag: string, entry: AttemptEntry): Promise<void> {
    const attempts = [...(await this.read(blobName, etag)), entry].slice(-KEEP);
    const body = JSON.stringify({ etag, attempts } satisfies AttemptHistory);
    await this.client(blobName).upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/json' } });
  }

  /** Once the final record exists the history has done its job. */
  async clear(blobName: string): Promise<void> {
    await this.client(blobName).deleteIfExists();
  }
}
