/**
 * The ops figures, one shape for every reader: `GET /api/metrics`, the emitMetrics timer, the local ops
 * page and `npm run stats`.
 */
import type { Names } from '../config.js';
import type { StorageClients } from '../storage/clients.js';
import { measureQueue, type QueueFigures } from './queueFigures.js';
import { DEFAULT_SCAN_LIMITS, summarizeResults, type ResultFigures, type ScanLimits } from './resultFigures.js';

export interface MetricsSnapshot {
  /** When the figures were taken (ISO 8601). */
  at: string;
  queues: { jobs: QueueFigures; poison: QueueFigures };
  results: ResultFigures;
  /** Reserved for the model-call rate limiter's state; there is no limiter yet, so always null. */
  limiter: null;
}

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
  const [jobs, poison, results] = await Promise.all([
    measureQueue(storage.queues.getQueueClient(names.jobsQueue), at, abortSignal),
    measureQueue(storage.queues.getQueueClient(names.poisonQueue), at, abortSignal),
    summarizeResults(storage.blobs.getContainerClient(names.resultsContainer), at, limits, abortSignal),
  ]);
  return { at: at.toISOString(), queues: { jobs, poison }, results, limiter: null };
}
