/**
 * Stored analyses keyed by what determines them (the bytes, the profile, the model): the same image
 * uploaded under another name is answered from here without a model call. Entries live in the state
 * container under `cache/`; an entry is only ever written whole and for one key, so the last writer of
 * a key wins with an equivalent answer.
 */
import type { ContainerClient } from '@azure/storage-blob';
import type { ResultRecord } from '../contracts/resultRecord.js';
import { readJsonBlob } from './readBlob.js';

export const CACHE_PREFIX = 'cache/';

export interface CachedAnalysis {
  /** The profile's validated output. */
  data: unknown;
  evidence?: ResultRecord['evidence'];
  provider: ResultRecord['provider'];
  detail: ResultRecord['detail'];
  /** Facts about the image, the same for the same bytes. */
  mime: string | null;
  width: number | null;
  height: number | null;
  /** The provider's own warnings (the profile's checks are run again on the data). */
  warnings: string[];
  /** The upload whose analysis this is. */
  analysedFrom: { blob: string; etag: string; createdAt: string };
}

export class ResultCache {
  constructor(private readonly container: ContainerClient) {}

  private client(key: string) {
    return this.container.getBlockBlobClient(`${CACHE_PREFIX}${key}.json`);
  }

  /** Undefined when there is no entry, or it is not JSON (a reader never trusts an entry further than that). */
  async get(key: string): Promise<CachedAnalysis | undefined> {
    try {
      return await readJsonBlob<CachedAnalysis>(this.client(key));
    } catch (error) {
      if (error instanceof SyntaxError) return undefined;
      throw error;
    }
  }

  async put(key: string, entry: CachedAnalysis): Promise<void> {
    const body = JSON.stringify(entry);
    await this.client(key).upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/json' } });
  }
}
