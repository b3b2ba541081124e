/**
 * The ops figures, one shape for every reader: `GET /api/metrics`, the emitMetrics timer, the local ops
 * page and `npm run stats`.
 */
import type { ContainerClient } from '@azure/storage-blob';
import type { Names } from '../config.js';
import type { LimiterState } from '../providers/rateLimit/state.js';
import type { StorageClients } from '../storage/clients.js';
import { deadLetterPrefix, strandedWork } from '../pipeline/sweepStranded.js';
import { LimiterStateStore } from '../storage/limiterStateStore.js';
import { isStatus } from '../storage/storageErrors.js';
import { measureQueue, type QueueFigures } from './queueFigures.js';
import { DEFAULT_SCAN_LIMITS, summarizeResults, type ResultFigures, type ScanLimits } from './resultFigures.js';

export interface MetricsSnapshot {
  /** When the figures were taken (ISO 8601). */
  at: string;
  queues: { jobs: QueueFigures; poison: QueueFigures };
  /** What the hosts left where only the recordStranded sweep reads it; each should be 0 between sweeps. */
  stranded: { poisonOfPoison: QueueFigures; deadLetters: number };
  results: ResultFigures;
  /**
   * The model-call rate limiter of every instance that reported within LIMITER_FRESH_SECONDS; null when
   * none did (the offline provider has no limiter; an idle one stops reporting).
   */
  limiter: { instances: LimiterState[] } | null;
}

/** A limiter reports every 10 s while it works: older states belong to instances that stopped. */
export const LIMITER_FRESH_SECONDS = 120;

export interface MetricsSources {
  storage: StorageClients;
  names: Names;
  now?: () => Date;
  limits?: ScanLimits;
  abortSignal?: AbortSignal;
}

export async function collectMetrics({
  storage,
  names,
  now = () => new Date(),
  limits = DEFAULT_SCAN_LIMITS,
  abortSignal,
}: MetricsSources): Promise<MetricsSnapshot> {
  const at = now();
  const limiters = new LimiterStateStore(storage.blobs.getContainerClient(names.stateContainer));
  const stranded = strandedWork(storage, names);
  const [jobs, poison, poisonOfPoison, deadLetters, results, instances] = await Promise.all([
    measureQueue(storage.queues.getQueueClient(names.jobsQueue), at, abortSignal),
    measureQueue(storage.queues.getQueueClient(names.poisonQueue), at, abortSignal),
    measureQueue(stranded.poisonOfPoison, at, abortSignal).catch((error: unknown) => {
      // The host creates it only when it first needs it.
      if (isStatus(error, 404)) return { queue: stranded.poisonOfPoison.name, depth: 0, oldestAgeSeconds: null };
      throw error;
    }),
    countDeadLetters(stranded.deadLetters, abortSignal),
    summarizeResults(storage.blobs.getContainerClient(names.resultsContainer), at, limits, abortSignal),
    limiters.since(new Date(at.getTime() - LIMITER_FRESH_SECONDS * 1000), abortSignal),
  ]);
  return {
    at: at.toISOString(),
    queues: { jobs, poison },
    stranded: { poisonOfPoison, deadLetters },
    results,
    limiter: instances.length === 0 ? null : { instances },
  };
}

/** Dead letters counted up to a bound: past it the figure only needs to say "many". */
const MAX_DEAD_LETTERS_COUNTED = 5000;

async function countDeadLetters(container: ContainerClient, abortSignal?: AbortSignal): Promise<number> {
  let count = 0;
  try {
    const pages = container
      .listBlobsFlat({ prefix: deadLetterPrefix(), ...(abortSignal === undefined ? {} : { abortSignal }) })
      .byPage({ maxPageSize: 1000 });
    for await (const page of pages) {
      count += page.segment.blobItems.length;
      if (count >= MAX_DEAD_LETTERS_COUNTED) break;
    }
  } catch (error) {
    if (!isStatus(error, 404)) throw error;
  }
  return count;
}
