/** The most recently written result records, for the ops page: one bounded listing, then the newest bodies. */
import type { BlobItem, ContainerClient } from '@azure/storage-blob';
import { resultRecordSchema, type ResultRecord } from '../contracts/resultRecord.js';
import { readJsonBlob } from '../storage/readBlob.js';
import { DEFAULT_SCAN_LIMITS } from './resultFigures.js';

export interface LatestResult {
  /** The record's path in the results container. */
  path: string;
  lastModified: string;
  record: ResultRecord;
}

export const MAX_LATEST = 50;

export async function latestResults(
  container: ContainerClient,
  limit: number,
  maxListed = DEFAULT_SCAN_LIMITS.maxListed,
): Promise<LatestResult[]> {
  const keep = Math.min(Math.max(1, limit), MAX_LATEST);
  const newest: BlobItem[] = [];
  let listed = 0;
  for await (const blob of container.listBlobsFlat()) {
    if (++listed > maxListed) break;
    newest.push(blob);
    if (newest.length > keep * 4) {
      newest.sort((a, b) => b.properties.lastModified.getTime() - a.properties.lastModified.getTime());
      newest.length = keep;
    }
  }
  newest.sort((a, b) => b.properties.lastModified.getTime() - a.properties.lastModified.getTime());
  const read = await Promise.all(
    newest.slice(0, keep).map(async (blob): Promise<LatestResult | undefined> => {
      try {
        const body = await readJsonBlob<unknown>(container.getBlockBlobClient(blob.name));
        const parsed = body === undefined ? undefined : resultRecordSchema.safeParse(body);
        return parsed?.success === true
          ? { path: blob.name, lastModified: blob.properties.lastModified.toISOString(), record: parsed.data }
          : undefined;
      } catch {
        // Unreadable (storage failed, or not JSON): the next refresh tries again.
        return undefined;
      }
    }),
  );
  return read.filter((entry): entry is LatestResult => entry !== undefined);
}
