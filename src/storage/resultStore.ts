/**
 * Writes final records so that each upload has exactly one, even with duplicate deliveries and racing
 * workers: every write is conditional on the ETag of what it replaces, and the decision whether to
 * replace is made from the existing record's metadata.
 */
import type { ContainerClient } from '@azure/storage-blob';
import { resultPath } from '../contracts/blobPaths.js';
import type { ResultRecord } from '../contracts/resultRecord.js';
import { readJsonBlob } from './readBlob.js';
import { isStatus } from './storageErrors.js';

export type WriteOutcome = 'written' | 'replaced' | 'kept-existing';

interface ExistingRecord {
  etag: string;
  sourceEtag: string | undefined;
  sourceLastModified: string | undefined;
  status: string | undefined;
}

/**
 * Metadata mirrors the record's identity so a decision needs one HEAD, not a download, and its status and
 * usage so that the ops figures come from one container listing (with metadata), not from the bodies.
 */
export const RESULT_METADATA = {
  sourceEtag: 'sourceetag',
  sourceLastModified: 'sourcelastmodified',
  status: 'status',
  errorCode: 'errorcode',
  promptTokens: 'prompttokens',
  promptTokensEstimated: 'prompttokensestimated',
  completionTokens: 'completiontokens',
  reasoningTokens: 'reasoningtokens',
  imageTokens: 'imagetokens',
  costUsd: 'costusd',
} as const;
const META = RESULT_METADATA;

/** Metadata values are strings; an unknown figure is the empty string. */
const figure = (value: number | null | undefined): string => (value === null || value === undefined ? '' : String(value));

const MAX_CONFLICT_RETRIES = 8;

/**
 * A success is never replaced by a failure of the same content; between two versions of a blob, the one it
 * holds now (`currentEtag`) wins, else the later Last-Modified (whole seconds only).
 */
export function shouldReplace(existing: Omit<ExistingRecord, 'etag'>, next: ResultRecord, currentEtag?: string): boolean {
  if (existing.sourceEtag === next.source.etag) {
    return existing.status === 'failed' && next.status === 'succeeded';
  }
  if (currentEtag !== undefined) {
    if (next.source.etag === currentEtag) return true;
    if (existing.sourceEtag === currentEtag) return false;
  }
  const before = existing.sourceLastModified;
  const after = next.source.lastModified;
  if (before !== undefined && before !== '' && after !== null) return Date.parse(after) >= Date.parse(before);
  // Without dates to order them, only a failure gives way.
  return existing.status !== 'succeeded';
}

/** The ETag the uploaded blob has now; undefined when it no longer exists. */
export type CurrentEtag = (blobName: string) => Promise<string | undefined>;

export class ResultStore {
  /** `currentEtag` decides between records for two versions of a blob; without it, their dates do. */
  constructor(
    private readonly container: ContainerClient,
    private readonly currentEtag?: CurrentEtag,
  ) {}

  async read(path: string): Promise<ResultRecord | undefined> {
    return readJsonBlob<ResultRecord>(this.container.getBlockBlobClient(path));
  }

  /** True when the content with this ETag already has a successful record: a redelivery needs no work. */
  async hasSucceeded(blobName: string, sourceEtag: string): Promise<boolean> {
    const existing = await this.head(resultPath(blobName));
    return existing?.sourceEtag === sourceEtag && existing.status === 'succeeded';
  }

  async writeFinal(record: ResultRecord, path = resultPath(record.source.blob)): Promise<WriteOutcome> {
    const body = `${JSON.stringify(record, null, 2)}\n`;
    const client = this.container.getBlockBlobClient(path);
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const existing = await this.head(path);
      // Asked only when two versions meet, which is rare: an overwrite racing its predecessor's job.
      const current =
        existing !== undefined && existing.sourceEtag !== record.source.etag && record.source.blob !== '' && this.currentEtag !== undefined
          ? await this.currentEtag(record.source.blob)
          : undefined;
      if (existing !== undefined && !shouldReplace(existing, record, current)) return 'kept-existing';
      try {
        await client.upload(body, Buffer.byteLength(body), {
          blobHTTPHeaders: { blobContentType: 'application/json; charset=utf-8' },
          metadata: {
            [META.sourceEtag]: record.source.etag,
            [META.sourceLastModified]: record.source.lastModified ?? '',
            [META.status]: record.status,
            [META.errorCode]: record.error?.code ?? '',
            [META.promptTokens]: figure(record.usage.promptTokens),
            [META.promptTokensEstimated]: figure(record.usage.promptTokensEstimated),
            [META.completionTokens]: figure(record.usage.completionTokens),
            [META.reasoningTokens]: figure(record.usage.reasoningTokens),
            [META.imageTokens]: figure(record.usage.imageTokensEstimated),
            [META.costUsd]: figure(record.usage.estimatedCostUsd),
          },
          conditions: existing === undefined ? { ifNoneMatch: '*' } : { ifMatch: existing.etag },
        });
        return existing === undefined ? 'written' : 'replaced';
      } catch (error) {
        // Someone wrote in between: decide again against what is there now.
        if (isStatus(error, 412) || isStatus(error, 409)) continue;
        throw error;
      }
    }
    throw new Error(`result ${path} kept changing under ${MAX_CONFLICT_RETRIES} conditional writes`);
  }

  private async head(path: string): Promise<ExistingRecord | undefined> {
    try {
      const properties = await this.container.getBlockBlobClient(path).getProperties();
      const metadata = properties.metadata ?? {};
      return {
        etag: properties.etag ?? '',
        sourceEtag: metadata[META.sourceEtag],
        sourceLastModified: metadata[META.sourceLastModified],
        status: metadata[META.status],
      };
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }
}
