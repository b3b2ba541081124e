import type { ContainerClient } from '@azure/storage-blob';
import type { QueueClient } from '@azure/storage-queue';
import type { Config } from '../config.js';
import type { MessageEncoding } from '../hostSettings.js';
import type { Logger } from '../log.js';
import type { VisionProvider } from '../providers/types.js';
import type { AttemptLog } from '../storage/attemptLog.js';
import type { PoisonedJobs } from '../storage/poisonedJobs.js';
import type { ResultCache } from '../storage/resultCache.js';
import type { ResultStore } from '../storage/resultStore.js';

/** Everything a job needs, passed in so that either host (and each test) supplies its own. */
export interface Worker {
  config: Config;
  input: ContainerClient;
  results: ResultStore;
  attempts: AttemptLog;
  /** The job queue, for jobs put back with a delay; written in the encoding the queue trigger reads. */
  jobs: { queue: QueueClient; encoding: MessageEncoding };
  /** Analyses of identical bytes, reused when RESULT_CACHE is on. */
  cache: ResultCache;
  /** Jobs whose retries ran out, for `npm run replay-poison`. */
  poisoned: PoisonedJobs;
  provider: VisionProvider;
  logger: Logger;
  /** Milliseconds; injectable so durations are testable. */
  now: () => number;
}

/** How the host delivered the message. */
export interface Delivery {
  /** 1 on the first delivery. */
  dequeueCount: number;
  messageId?: string;
}
