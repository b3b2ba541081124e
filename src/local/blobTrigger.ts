/**
 * The blob trigger as the Functions host runs it, by scanning instead of Event Grid: a blob fires once per
 * ETag, remembered by receipts in the host's storage (so a restart does not fire everything again, and
 * an overwrite with new content fires again); a blob whose handler keeps failing goes to
 * `webjobs-blobtrigger-poison` after five tries.
 */
import { randomUUID } from 'node:crypto';
import type { BlobItem, ContainerClient } from '@azure/storage-blob';
import type { QueueClient } from '@azure/storage-queue';
import type { Logger } from '../log.js';
import { readBlob } from '../storage/readBlob.js';

export const RECEIPTS_CONTAINER = 'azure-webjobs-hosts';
export const BLOB_TRIGGER_POISON_QUEUE = 'webjobs-blobtrigger-poison';
const MAX_TRIES = 5;

export interface BlobHandlerInput {
  content: Buffer;
  triggerMetadata: Record<string, unknown>;
  invocationId: string;
}

export interface BlobTriggerOptions {
  functionName: string;
  hostId: string;
  container: ContainerClient;
  receipts: ContainerClient;
  poison: QueueClient;
  handler: (input: BlobHandlerInput) => Promise<void>;
  logger: Logger;
  pollMs: number;
  /** Blobs handled at once. */
  concurrency: number;
}

export class BlobTrigger {
  private readonly fired = new Map<string, string>();
  private readonly failures = new Map<string, number>();
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: BlobTriggerOptions) {}

  private get receiptPrefix(): string {
    const { hostId, functionName, container } = this.options;
    return `blobreceipts/${hostId}/${functionName}/${container.containerName}/`;
  }

  async start(): Promise<void> {
    await this.options.receipts.createIfNotExists();
    await this.options.poison.createIfNotExists();
    for await (const receipt of this.options.receipts.listBlobsFlat({ prefix: this.receiptPrefix, includeMetadata: true })) {
      const etag = receipt.metadata?.['etag'];
      if (etag !== undefined) this.fired.set(receipt.name.slice(this.receiptPrefix.length), etag);
    }
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
  }

  /** One scan: fires for every blob whose current ETag has no receipt. Returns how many fired. */
  async scan(): Promise<number> {
    const pending: BlobItem[] = [];
    for await (const blob of this.options.container.listBlobsFlat({ includeMetadata: true })) {
      if (this.fired.get(blob.name) !== blob.properties.etag) pending.push(blob);
    }
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < pending.length && !this.stopping) {
        const blob = pending[next++];
        if (blob !== undefined) await this.fire(blob);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, pending.length) }, lane));
    return pending.length;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.scan();
      } catch (error) {
        this.options.logger.warn('host.blob_scan_failed', { message: (error as Error).message });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.pollMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  private async fire(blob: BlobItem): Promise<void> {
    const { container, functionName, logger } = this.options;
    const etag = blob.properties.etag ?? '';
    const key = `${blob.name}\n${etag}`;
    const log = logger.child({ function: functionName, blob: blob.name, etag });
    try {
      const client = container.getBlobClient(blob.name);
      const read = await readBlob(client);
      // Deleted since the listing: there is nothing to fire for.
      if (read === undefined) return;
      await this.options.handler({
        content: read.bytes,
        invocationId: randomUUID(),
        triggerMetadata: {
          blobTrigger: `${container.containerName}/${blob.name}`,
          name: blob.name,
          uri: client.url,
          properties: { ...blob.properties, eTag: etag, contentLength: blob.properties.contentLength },
          metadata: blob.metadata ?? {},
        },
      });
    } catch (error) {
      const tries = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, tries);
      log.warn('host.blob_trigger_failed', { tries, message: (error as Error).message });
      if (tries < MAX_TRIES) return;
      await this.options.poison.sendMessage(
        Buffer.from(
          JSON.stringify({ FunctionId: `Host.Functions.${functionName}`, BlobType: 'BlockBlob', ContainerName: container.containerName, BlobName: blob.name, ETag: etag }),
        ).toString('base64'),
      );
    }
    this.failures.delete(key);
    await this.writeReceipt(blob.name, etag);
    this.fired.set(blob.name, etag);
  }

  private async writeReceipt(name: string, etag: string): Promise<void> {
    await this.options.receipts.getBlockBlobClient(`${this.receiptPrefix}${name}`).upload('', 0, { metadata: { etag } });
  }
}
