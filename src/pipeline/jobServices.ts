import type { ContainerClient } from '@azure/storage-blob';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { VisionProvider } from '../providers/types.js';
import type { AttemptLog } from '../storage/attemptLog.js';
import type { JobClaims } from '../storage/jobClaims.js';
import type { PoisonedJobs } from '../storage/poisonedJobs.js';
import type { ResultCache } from '../storage/resultCache.js';
import type { ResultStore } from '../storage/resultStore.js';
import type { JobQueue } from './jobQueue.js';

/** Everything a job needs, passed in so that either host (and each test) supplies its own. */
export interface JobServices {
  config: Config;
  input: ContainerClient;
  results: ResultStore;
  attempts: AttemptLog;
  /** The job queue, for jobs put back with a delay; written in the encoding the queue trigger reads. */
  jobs: JobQueue;
  /** Analyses of identical bytes, reused when RESULT_CACHE is on. */
  cache: ResultCache;
  /** Which delivery works on a job, so that a duplicate copy does not pay for a second model call. */
  claims: JobClaims;
  /** Jobs whose retries ran out, for `npm run replay-poison`. */
  poisoned: PoisonedJobs;
  provider: VisionProvider;
  /**
   * A job's work is abandoned this long after it starts, as a retryable `timeout`, before the host's
   * functionTimeout would cut it off (on Azure that also restarts the process and every job in it).
   */
  jobTimeoutMs: number;
  logger: Logger;
  /** Milliseconds; injectable so durations are testable. */
  now: () => number;
}

/** What a job leaves itself, of the function timeout, to write its record after a cancelled call. */
const RECORD_MARGIN_MS = 30_000;

/** functionTimeout less 30 s for the record, but at least 80% of it when the timeout is short. */
export function jobTimeoutFor(functionTimeoutMs: number): number {
  return Math.max(functionTimeoutMs - RECORD_MARGIN_MS, Math.floor(functionTimeoutMs * 0.8));
}

/** How the host delivered the message. */
export interface Delivery {
  /** 1 on the first delivery. */
  dequeueCount: number;
  messageId?: string;
}
