/**
 * Where each instance's model-call rate limiter leaves its state: one small blob per instance in the
 * state container, rewritten while the limiter works. The metrics snapshot reads them back, so every
 * reader (GET /api/metrics on any instance, `npm run stats` from anywhere storage is reachable) sees
 * every instance, not only the process it asked.
 */
import type { ContainerClient } from '@azure/storage-blob';
import type { LimiterState } from '../providers/rateLimit/state.js';
import { readJsonBlob } from './readBlob.js';
import { isStatus } from './storageErrors.js';

const PREFIX = 'limiter/';
/** Instances are listed at most (one list request). */
const MAX_INSTANCES = 100;

export class LimiterStateStore {
  constructor(private readonly container: ContainerClient) {}

  async publish(state: LimiterState): Promise<void> {
    const body = JSON.stringify(state);
    await this.container
      .getBlockBlobClient(`${PREFIX}${encodeURIComponent(state.instance)}.json`)
      .upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/json' } });
  }

  /** The states written at or after `since`, by instance name; an instance that stopped writing has stopped working. */
  async since(since: Date, abortSignal?: AbortSignal): Promise<LimiterState[]> {
    const signal = abortSignal === undefined ? {} : { abortSignal };
    const fresh: string[] = [];
    try {
      // One page: more instances than that is beyond what this report is for.
      for await (const page of this.container.listBlobsFlat({ prefix: PREFIX, ...signal }).byPage({ maxPageSize: MAX_INSTANCES })) {
        for (const item of page.segment.blobItems) if (item.properties.lastModified >= since) fresh.push(item.name);
        break;
      }
    } catch (error) {
      // No state container yet: no instance has reported.
      if (isStatus(error, 404)) return [];
      throw error;
    }
    const states = await Promise.all(fresh.map((name) => this.read(name, signal)));
    return states.filter((state) => state !== undefined).sort((a, b) => a.instance.localeCompare(b.instance));
  }

  private async read(name: string, signal: { abortSignal?: AbortSignal }): Promise<LimiterState | undefined> {
    // Undefined when removed between the listing and the read.
    return readJsonBlob<LimiterState>(this.container.getBlockBlobClient(name), signal);
  }
}
