/**
 * Jobs whose retries ran out, kept so that `npm run replay-poison` can send them back to the job queue
 * once the cause is fixed. The poison queue itself cannot hold them: `recordPoison` consumes each poison
 * message as it writes the failure record. One entry per blob (`poisoned/<blob>.json` in the state
 * container), with the failure record's error code in its metadata so that a filtered replay needs one
 * listing and no reads.
 */
import type { ContainerClient } from '@azure/storage-blob';
import { POISONED_PREFIX, poisonedPath } from '../contracts/blobPaths.js';
import type { JobMessage } from '../contracts/jobMessage.js';
import { readJsonBlob } from './readBlob.js';
import { isStatus } from './storageErrors.js';

const CODE_METADATA = 'code';

export interface PoisonedJob {
  job: JobMessage;
  code: string;
  poisonedAt: string;
}

export interface PoisonedEntry {
  blob: string;
  code: string;
  /** The entry's own ETag: taking it back fails when it was parked again since it was listed. */
  etag: string;
}

export class PoisonedJobs {
  constructor(private readonly container: ContainerClient) {}

  private client(blob: string) {
    return this.container.getBlockBlobClient(poisonedPath(blob));
  }

  /** A replayed job starts afresh: its deferral count is not kept. */
  async park({ deferrals: _deferrals, ...job }: JobMessage, code: string): Promise<void> {
    const body = JSON.stringify({ job, code, poisonedAt: new Date().toISOString() } satisfies PoisonedJob);
    await this.client(job.blob).upload(body, Buffer.byteLength(body), {
      blobHTTPHeaders: { blobContentType: 'application/json' },
      metadata: { [CODE_METADATA]: code },
    });
  }

  /** Entries for blobs whose names start with `prefix`. */
  async *list(prefix = ''): AsyncGenerator<PoisonedEntry> {
    for await (const item of this.container.listBlobsFlat({ prefix: `${POISONED_PREFIX}${prefix}`, includeMetadata: true })) {
      yield {
        blob: item.name.slice(POISONED_PREFIX.length, -'.json'.length),
        code: item.metadata?.[CODE_METADATA] ?? '',
        etag: item.properties.etag ?? '',
      };
    }
  }

  async read(entry: PoisonedEntry): Promise<PoisonedJob | undefined> {
    return readJsonBlob<PoisonedJob>(this.client(entry.blob));
  }

  /** False when the entry is gone or was parked again since it was listed (then it stays for the next replay). */
  async remove(entry: PoisonedEntry): Promise<boolean> {
    try {
      await this.client(entry.blob).delete({ conditions: { ifMatch: entry.etag } });
      return true;
    } catch (error) {
      if (isStatus(error, 404) || isStatus(error, 412)) return false;
      throw error;
    }
  }
}
