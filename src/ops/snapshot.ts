/**
 * The ops figures, one shape for every reader: `GET /api/metrics`, the emitMetrics timer, the local ops
 * page and `npm run stats`.
 */
import type { Names } from '../config.js';
import type { LimiterState } from '../providers/rateLimiter.js';
import type { StorageClients } from '../storage/clients.js';
import { LimiterStateStore } from '../storage/limiterStateStore.js';
import { measureQueue, type QueueFigures } from './queueFigures.js';
import { DEFAULT_SCAN_LIMITS, summarizeResults, type ResultFigures, type ScanLimits } from './resultFigures.js';

export interface MetricsSnapshot {
  /** When the figures were taken (ISO 8601). */
  at: string;
  queues: { jobs: QueueFigures; poison: QueueFigures };
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
  const [jobs, poison, results, instances] = await Promise.all([
    measureQueue(storage.queues.getQueueClient(names.jobsQueue), at, abortSignal),
    measureQueue(storage.queues.getQueueClient(names.poisonQueue), at, abortSignal),
    summarizeResults(storage.blobs.getContainerClient(names.resultsContainer), at, limits, abortSignal),
    limiters.since(new Date(at.getTime() - LIMITER_FRESH_SECONDS * 1000), abortSignal),
  ]);
  return { at: at.toISOString(), queues: { jobs, poison }, results, limiter: instances.length === 0 ? null : { instances } };
}
