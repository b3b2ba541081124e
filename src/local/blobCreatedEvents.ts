/**
 * Event Grid's BlobCreated subscription as the local host emulates it, by scanning the container (Azurite
 * publishes no events): a blob is announced once per ETag, remembered by receipts in the host's storage
 * (so a restart does not announce everything again, and an overwrite is announced again). The event is
 * built from the listing alone: nothing here reads a blob's bytes. A delivery that fails is retried on
 * Event Grid's schedule; after the last attempt the event is dead-lettered as Event Grid writes it.
 */
import { randomUUID } from 'node:crypto';
import type { EventGridEvent } from '@azure/functions';
import type { BlobItem, ContainerClient } from '@azure/storage-blob';
import { blobSubject } from '../blobEvents.js';
import type { Logger } from '../log.js';
import { BLOB_CREATED_SUBSCRIPTION } from '../names.js';

export const RECEIPTS_CONTAINER = 'azure-webjobs-hosts';
/** Receipts live under `<root>/<hostId>/<subscription>/<container>/<blob name>`, the blob's ETag in their metadata. */
export const RECEIPTS_ROOT = 'blobcreated';
/** Event Grid's retry schedule after the first attempt (it adds some randomness; this does not). */
export const EVENT_GRID_RETRY_DELAYS_MS: readonly number[] = [10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000];

export interface BlobCreatedEventsOptions {
  hostId: string;
  container: ContainerClient;
  receipts: ContainerClient;
  deadLetters: ContainerClient;
  deliver: (event: EventGridEvent) => Promise<void>;
  logger: Logger;
  pollMs: number;
  /** Events delivered at once. */
  concurrency: number;
  /** The wait before attempt 2, 3, ...; the last entry repeats. */
  retryDelaysMs?: readonly number[];
  now?: () => number;
}

interface PendingEvent {
  event: EventGridEvent;
  etag: string;
  attempts: number;
  dueAt: number;
  lastOutcome: string;
}

/** What Event Grid adds to an event it dead-letters. */
export interface DeadLetteredEvent extends EventGridEvent {
  deadLetterReason: 'MaxDeliveryAttemptsExceeded';
  deliveryAttempts: number;
  lastDeliveryOutcome: string;
  lastHttpStatusCode: number;
  publishTime: string;
  lastDeliveryAttemptTime: string;
}

export class BlobCreatedEvents {
  private readonly announced = new Map<string, string>();
  /** One event per blob name: an overwrite replaces an older event still waiting for a retry (the new one names the current content). */
  private readonly pending = new Map<string, PendingEvent>();
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly now: () => number;

  constructor(private readonly options: BlobCreatedEventsOptions) {
    this.now = options.now ?? Date.now;
  }

  private get receiptPrefix(): string {
    return `${RECEIPTS_ROOT}/${this.options.hostId}/${BLOB_CREATED_SUBSCRIPTION.name}/${this.options.container.containerName}/`;
  }

  async start(): Promise<void> {
    await Promise.all([this.options.receipts.createIfNotExists(), this.options.deadLetters.createIfNotExists()]);
    for await (const receipt of this.options.receipts.listBlobsFlat({ prefix: this.receiptPrefix, includeMetadata: true })) {
      const etag = receipt.metadata?.['etag'];
      if (etag !== undefined) this.announced.set(receipt.name.slice(this.receiptPrefix.length), etag);
    }
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
  }

  /** One scan: an event for every blob whose ETag has none yet, then the due deliveries; returns how many were delivered. */
  async scan(): Promise<number> {
    for await (const blob of this.options.container.listBlobsFlat()) {
      const etag = blob.properties.etag ?? '';
      if (this.announced.get(blob.name) === etag || this.pending.get(blob.name)?.etag === etag) continue;
      this.pending.set(blob.name, { event: this.eventFor(blob, etag), etag, attempts: 0, dueAt: this.now(), lastOutcome: '' });
    }
    const due = [...this.pending].filter(([, pending]) => pending.dueAt <= this.now());
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < due.length && !this.stopping) {
        const item = due[next++];
        if (item !== undefined) await this.attempt(item[0], item[1]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, due.length) }, lane));
    return due.length;
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

  private eventFor(blob: BlobItem, etag: string): EventGridEvent {
    const { container } = this.options;
    return {
      topic: `/subscriptions/local/resourceGroups/local/providers/Microsoft.Storage/storageAccounts/${container.accountName}`,
      subject: blobSubject(container.containerName, blob.name),
      eventType: BLOB_CREATED_SUBSCRIPTION.eventType,
      eventTime: new Date(this.now()).toISOString(),
      id: randomUUID(),
      data: {
        // Storage quotes the ETag in events, as in its ETag header; a listing leaves the quotes off.
        eTag: etag.startsWith('"') ? etag : `"${etag}"`,
        contentType: blob.properties.contentType ?? 'application/octet-stream',
        contentLength: blob.properties.contentLength ?? 0,
        blobType: blob.properties.blobType ?? 'BlockBlob',
        url: container.getBlobClient(blob.name).url,
      },
      dataVersion: '',
      metadataVersion: '1',
    };
  }

  private async attempt(name: string, pending: PendingEvent): Promise<void> {
    const { logger, retryDelaysMs = EVENT_GRID_RETRY_DELAYS_MS } = this.options;
    const maxAttempts = BLOB_CREATED_SUBSCRIPTION.maxDeliveryAttempts;
    pending.attempts++;
    try {
      await this.options.deliver(pending.event);
    } catch (error) {
      pending.lastOutcome = (error as Error).message;
      const log = {
        subscription: BLOB_CREATED_SUBSCRIPTION.name,
        blob: name,
        eventId: pending.event.id,
        attempt: pending.attempts,
        of: maxAttempts,
      };
      if (pending.attempts < maxAttempts) {
        pending.dueAt = this.now() + (retryDelaysMs[Math.min(pending.attempts, retryDelaysMs.length) - 1] ?? 0);
        logger.warn('host.event_delivery_failed', { ...log, message: pending.lastOutcome, retryInMs: pending.dueAt - this.now() });
        return;
      }
      const path = await this.deadLetter(pending);
      logger.error('host.event_dead_lettered', {
        ...log,
        message: pending.lastOutcome,
        deadLetter: `${this.options.deadLetters.containerName}/${path}`,
      });
    }
    if (this.pending.get(name) === pending) this.pending.delete(name);
    await this.options.receipts.getBlockBlobClient(`${this.receiptPrefix}${name}`).upload('', 0, { metadata: { etag: pending.etag } });
    this.announced.set(name, pending.etag);
  }

  /** Writes the event where Event Grid would: `<SUBSCRIPTION NAME>/<year>/<month>/<day>/<hour>/<id>.json` (UTC, unpadded), a JSON array. */
  private async deadLetter(pending: PendingEvent): Promise<string> {
    const at = new Date(this.now());
    const deadLettered: DeadLetteredEvent = {
      ...pending.event,
      deadLetterReason: 'MaxDeliveryAttemptsExceeded',
      deliveryAttempts: pending.attempts,
      lastDeliveryOutcome: pending.lastOutcome,
      // The Functions host answers a failed invocation with 500.
      lastHttpStatusCode: 500,
      publishTime: pending.event.eventTime,
      lastDeliveryAttemptTime: at.toISOString(),
    };
    const date = [at.getUTCFullYear(), at.getUTCMonth() + 1, at.getUTCDate(), at.getUTCHours()].join('/');
    const path = `${BLOB_CREATED_SUBSCRIPTION.name.toUpperCase()}/${date}/${randomUUID()}.json`;
    const body = JSON.stringify([deadLettered]);
    await this.options.deadLetters
      .getBlockBlobClient(path)
      .upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/json' } });
    return path;
  }
}
