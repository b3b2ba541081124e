/**
 * Rate limits are not failures of the file. A job the model keeps answering 429 (after the SDK's own
 * retries, or with a retry-after longer than a function should sleep) is put back on the job queue as a
 * new message that stays invisible for the wait, carrying its deferral count, and the current message
 * completes: no dequeue count is spent, so a quota storm never pushes a file into the poison queue. After
 * MAX_RATE_LIMIT_DEFERRALS deferrals the job gets a `rate_limited` failure record instead.
 */
import { TransientError, type WorkerError } from '../errors.js';
import type { Logger } from '../log.js';
import { SETTINGS } from '../names.js';
import type { JobMessage } from '../contracts/jobMessage.js';
import { retryAfterOf } from '../providers/retryAfter.js';
import type { JobServices } from './jobServices.js';

/** Never sooner: a burst of jobs told "retry now" would hit the same limit at once. */
export const DEFER_MIN_MS = 2_000;
/** When the service named no wait: 10 s, doubling with each deferral, up to 15 minutes. */
export const DEFER_BACKOFF_MS = 10_000;
export const DEFER_BACKOFF_MAX_MS = 15 * 60_000;
/** A longer requested wait is cut to a day (the queue allows 7): the job then asks again and is deferred again if need be. */
export const DEFER_MAX_MS = 24 * 3600_000;
/**
 * Up to 20% added, never taken off: jobs that were told the same wait come back spread out, and none
 * before the service said it would accept them.
 */
export const DEFER_JITTER = 0.2;

export function deferralDelayMs(retryAfterMs: number | undefined, deferrals: number, random: () => number = Math.random): number {
  const wait = retryAfterMs ?? Math.min(DEFER_BACKOFF_MS * 2 ** deferrals, DEFER_BACKOFF_MAX_MS);
  return Math.min(Math.max(DEFER_MIN_MS, wait) * (1 + DEFER_JITTER * random()), DEFER_MAX_MS);
}

export interface Deferral {
  /** The count the new message carries. */
  deferrals: number;
  delaySeconds: number;
}

/** Enqueues the job again with a visibility delay; the caller then completes the current message. */
export async function deferJob(services: JobServices, job: JobMessage, error: WorkerError, log: Logger): Promise<Deferral> {
  const deferrals = (job.deferrals ?? 0) + 1;
  const retryAfterMs = retryAfterOf(error);
  const delaySeconds = Math.ceil(deferralDelayMs(retryAfterMs, deferrals - 1) / 1000);
  await services.jobs.send({ ...job, deferrals }, { delaySeconds });
  log.warn('job.deferred', {
    code: error.code,
    retryAfterMs: retryAfterMs ?? null,
    delaySeconds,
    deferrals,
    maxDeferrals: services.config.maxRateLimitDeferrals,
  });
  return { deferrals, delaySeconds };
}

/** The failure once the job has been deferred as often as allowed: still retryable (a replay may succeed). */
export function deferralsExhausted(error: WorkerError, deferrals: number): WorkerError {
  return new TransientError(
    'rate_limited',
    `the model kept rate limiting: the job was put back on the queue ${deferrals} times, the most ${SETTINGS.maxRateLimitDeferrals} allows; the last error was: ${error.message}`,
    { cause: error, details: { ...error.details, deferrals, capReached: true } },
  );
}
