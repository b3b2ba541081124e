/**
 * Which queue message is working on a job. Delivery is at least once: the same upload can be enqueued
 * twice (Event Grid delivers an event again, an enqueue is retried), and two copies running at once
 * would each pay for a model call. The first copy to claim the job (container, blob and ETag) works on
 * it; a copy that finds another message's live claim completes without a call, because the claimant's
 * own message still stands for a final record (it is deleted only after its handler returns, and its
 * retries end in the poison queue). A claim names its message, so a redelivery of the same message
 * after a crash takes its own claim back, and it expires after the function timeout in any case.
 */
import { createHash } from 'node:crypto';
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { readBlob } from './readBlob.js';
import { isStatus } from './storageErrors.js';

export interface ClaimedJob {
  container: string;
  blob: string;
  etag: string;
}

interface ClaimBody {
  messageId: string;
  /** Epoch milliseconds after which the claim is void. */
  until: number;
}

export type ClaimOutcome = { claimed: true; etag: string } | { claimed: false; heldBy: string; until: number };

const CONDITION_FAILED = 412;
const ALREADY_EXISTS = 409;

export class JobClaims {
  constructor(
    private readonly container: ContainerClient,
    private readonly clock: () => number = Date.now,
  ) {}

  private client(job: ClaimedJob): BlockBlobClient {
    const key = createHash('sha256').update(`${job.container}\n${job.blob}\n${job.etag}`).digest('hex');
    return this.container.getBlockBlobClient(`claims/${key}.json`);
  }

  /** Claims the job for `messageId` for `ttlMs`, unless another message holds a live claim. */
  async claim(job: ClaimedJob, messageId: string, ttlMs: number): Promise<ClaimOutcome> {
    const client = this.client(job);
    const body = JSON.stringify({ messageId, until: this.clock() + ttlMs } satisfies ClaimBody);
    const write = async (conditions: { ifNoneMatch: string } | { ifMatch: string }): Promise<ClaimOutcome | undefined> => {
      try {
        const { etag } = await client.upload(body, Buffer.byteLength(body), {
          conditions,
          blobHTTPHeaders: { blobContentType: 'application/json' },
        });
        return { claimed: true, etag: etag ?? '' };
      } catch (error) {
        if (isStatus(error, ALREADY_EXISTS) || isStatus(error, CONDITION_FAILED)) return undefined;
        throw error;
      }
    };
    // Two rounds: a claim released or taken over between the read and the write is read again once.
    let held: { body: ClaimBody; etag: string } | undefined;
    for (let round = 0; round < 2; round += 1) {
      const created = await write({ ifNoneMatch: '*' });
      if (created !== undefined) return created;
      held = await this.read(client);
      if (held === undefined) continue;
      if (held.body.messageId !== messageId && held.body.until > this.clock()) break;
      // Its own claim from an earlier delivery, or an expired one.
      const taken = await write({ ifMatch: held.etag });
      if (taken !== undefined) return taken;
    }
    // Another delivery holds it, or kept winning the race for it.
    return { claimed: false, heldBy: held?.body.messageId ?? 'another delivery', until: held?.body.until ?? this.clock() };
  }

  /** Ends a claim this message holds; one taken over since is left alone. */
  async release(job: ClaimedJob, claimEtag: string): Promise<void> {
    try {
      await this.client(job).delete({ conditions: { ifMatch: claimEtag } });
    } catch (error) {
      if (isStatus(error, 404) || isStatus(error, CONDITION_FAILED)) return;
      throw error;
    }
  }

  private async read(client: BlockBlobClient): Promise<{ body: ClaimBody; etag: string } | undefined> {
    const read = await readBlob(client);
    return read === undefined ? undefined : { body: JSON.parse(read.bytes.toString('utf8')) as ClaimBody, etag: read.etag };
  }
}
