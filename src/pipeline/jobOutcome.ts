import type { WriteOutcome } from '../storage/resultStore.js';
import type { Deferral } from './deferJob.js';

/** How one delivery of a job ended, for the host adapter and the tests. */
export type JobOutcome =
  | { status: 'succeeded' | 'failed'; blob: string; record: WriteOutcome; code?: string }
  | { status: 'skipped'; blob: string; reason: string }
  | ({ status: 'deferred'; blob: string } & Deferral);
