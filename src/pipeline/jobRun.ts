import type { Logger } from '../log.js';
import type { Usage } from '../providers/types.js';
import type { JobFacts } from './jobRecords.js';
import type { JobMessage } from '../contracts/jobMessage.js';
import type { Delivery, JobServices } from './jobServices.js';

/** One delivery of one job: what each of its steps needs, passed as one object. */
export interface JobRun {
  services: JobServices;
  job: JobMessage;
  delivery: Delivery;
  /** `worker.now()` when the delivery began. */
  started: number;
  log: Logger;
  /** Aborts the job's work when its time budget (`JobServices.jobTimeoutMs`) runs out. */
  deadline: AbortSignal;
  facts: JobFacts & { spent: Usage };
}

/** Stamps the total time on the facts, as the last thing before a record is built from them. */
export function stampTotal(run: JobRun): JobFacts & { spent: Usage } {
  run.facts.timings.totalMs = run.services.now() - run.started;
  return run.facts;
}
