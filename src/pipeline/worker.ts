import type { ContainerClient } from '@azure/storage-blob';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { VisionProvider } from '../providers/types.js';
import type { AttemptLog } from '../storage/attemptLog.js';
import type { ResultStore } from '../storage/resultStore.js';

/** Everything a job needs, passed in so that either host (and each test) supplies its own. */
export interface Worker {
  config: Config;
  input: ContainerClient;
  results: ResultStore;
  attempts: AttemptLog;
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
