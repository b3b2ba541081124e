/**
 * One delivery of a job, and the one place that decides what a failure means: a permanent error writes
 * a failure record and completes the message; a rate limit defers the job (deferJob.ts) until
 * MAX_RATE_LIMIT_DEFERRALS; any other transient error is noted and rethrown for the queue to redeliver
 * (after maxDequeueCount the host poisons it and `recordPoisonedJob` writes the record).
 */
import { TransientError, WorkerError, asWorkerError, ensureError } from '../errors.js';
import { NO_USAGE } from '../providers/usage.js';
import { isStorageFailure, storageUnavailable } from '../storage/storageErrors.js';
import { analyzeUpload } from './analyzeUpload.js';
import { deferJob, deferralsExhausted } from './deferJob.js';
import type { JobOutcome } from './jobOutcome.js';
import { emptyTimings, failureRecord, parseOrRecordInvalid } from './jobRecords.js';
import { stampTotal, type JobRun } from './jobRun.js';
import { namedSource } from '../contracts/resultRecord.js';
import type { Delivery, JobServices } from './jobServices.js';

/** Storage can fail anywhere in a job; such a failure is never the file's, so the queue retries it. */
function classify(thrown: unknown): WorkerError {
  if (!(thrown instanceof WorkerError) && isStorageFailure(thrown)) return storageUnavailable(thrown, 'running the job');
  return asWorkerError(thrown);
}

/**
 * Returns once the job has its final record, was skipped (its content already succeeded) or was deferred
 * (put back on the queue for a rate limit); throws a retryable WorkerError for the queue to redeliver.
 */
export async function processJob(services: JobServices, raw: unknown, delivery: Delivery): Promise<JobOutcome> {
  try {
    return await runJob(services, raw, delivery);
  } catch (thrown) {
    throw classify(thrown);
  }
}

async function runJob(services: JobServices, raw: unknown, delivery: Delivery): Promise<JobOutcome> {
  const started = services.now();
  const parsed = await parseOrRecordInvalid(services, raw, delivery, started);
  if ('invalid' in parsed) return parsed.invalid;
  const { job } = parsed;
  const log = services.logger.child({
    blob: job.blob,
    etag: job.etag,
    attempt: delivery.dequeueCount,
    ...(job.deferrals === undefined ? {} : { deferrals: job.deferrals }),
  });
  const claim = delivery.messageId === undefined ? undefined : await services.claims.claim(job, delivery.messageId, claimTtl(services));
  if (claim?.claimed === false) {
    log.info('job.skipped', { reason: 'another delivery is working on it', heldBy: claim.heldBy });
    return { status: 'skipped', blob: job.blob, reason: `another delivery of this job (message ${claim.heldBy}) is working on it` };
  }
  const release = claim === undefined ? async () => undefined : () => services.claims.release(job, claim.etag);
  try {
    // Checked under the claim: a copy that finished meanwhile wrote its record before it let go.
    if (await services.results.hasSucceeded(job.blob, job.etag)) {
      log.info('job.skipped', { reason: 'already succeeded' });
      return { status: 'skipped', blob: job.blob, reason: 'a successful record for this content already exists' };
    }
    const run: JobRun = {
      services,
      job,
      delivery,
      started,
      log,
      deadline: AbortSignal.timeout(Math.max(1, Math.round(services.jobTimeoutMs - (services.now() - started)))),
      facts: {
        source: namedSource(job.container, job.blob, job.etag, job.contentLength),
        profile: null,
        spent: { ...NO_USAGE },
        timings: emptyTimings(),
        warnings: [],
      },
    };
    return await finishJob(run, release);
  } finally {
    // A claim left behind only delays a duplicate copy until it expires: the job itself has ended.
    await release().catch((error: unknown) => log.warn('claim.release_failed', { message: ensureError(error).message }));
  }
}

/** The claim TTL: a job cannot run longer than its time budget, and its record takes a moment more. */
const CLAIM_GRACE_MS = 60_000;
const claimTtl = (services: JobServices): number => services.jobTimeoutMs + CLAIM_GRACE_MS;

/** Work that honours the deadline (model calls, downloads) gets this long to say what it was doing. */
const ABANDON_GRACE_MS = 1_000;

/** The time budget covers all of a job's work: what still runs when it ends is abandoned, as a timeout. */
function withinBudget<T>({ services, deadline }: JobRun, work: Promise<T>): Promise<T> {
  const spent = (): TransientError =>
    new TransientError('timeout', `the job used its whole time budget (${services.jobTimeoutMs} ms) before it finished`, {
      details: { timeoutMs: services.jobTimeoutMs },
    });
  if (deadline.aborted) return Promise.reject(spent());
  return new Promise<T>((resolve, reject) => {
    let abandon: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      abandon = setTimeout(() => reject(spent()), ABANDON_GRACE_MS);
    };
    deadline.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => {
      deadline.removeEventListener('abort', onAbort);
      clearTimeout(abandon);
    });
  });
}

async function finishJob(run: JobRun, release: () => Promise<void>): Promise<JobOutcome> {
  const { services, job, log } = run;
  try {
    const record = await withinBudget(run, analyzeUpload(run));
    if (record === undefined) {
      log.info('job.skipped', { reason: 'current content already succeeded' });
      return { status: 'skipped', blob: job.blob, reason: 'a successful record for the current content already exists' };
    }
    const outcome = await services.results.writeFinal(record);
    await services.attempts.clear(job.blob);
    log.info('job.succeeded', {
      profile: record.profile,
      record: outcome,
      totalMs: record.timings.totalMs,
      imageTokens: record.usage.imageTokensEstimated,
      promptTokens: record.usage.promptTokens,
      ...(record.cached === true ? { cached: true } : {}),
      ...(record.sources === undefined ? {} : { images: record.sources.length }),
    });
    return { status: 'succeeded', blob: job.blob, record: outcome };
  } catch (thrown) {
    return failJob(run, classify(thrown), release);
  }
}

/** Defers a rate-limited job, rethrows a retryable error for redelivery, or writes the failure record. */
async function failJob(run: JobRun, failure: WorkerError, release: () => Promise<void>): Promise<JobOutcome> {
  const { services, job, delivery, log } = run;
  let error = failure;
  if (error.code === 'rate_limited') {
    const deferrals = job.deferrals ?? 0;
    if (deferrals < services.config.maxRateLimitDeferrals) {
      // The deferred copy is a new message: the claim must be gone first, or a copy finding it would end
      // without a record. A release that fails fails the delivery, which comes back as the same message.
      await release();
      const deferral = await deferJob(services, job, error, log);
      return { status: 'deferred', blob: job.blob, ...deferral };
    }
    error = deferralsExhausted(error, deferrals);
  } else if (error.retryable) {
    log.warn('job.retry', { code: error.code, message: error.message });
    await services.attempts.append(job.blob, job.etag, {
      at: new Date().toISOString(),
      attempt: delivery.dequeueCount,
      code: error.code,
      message: error.message,
    });
    throw error;
  }
  // Parked before the record is written: a failure in between leaves a redelivery to write it, not a record nobody can replay.
  if (error.retryable) await services.poisoned.park(job, error.code);
  const outcome = await services.results.writeFinal(failureRecord(stampTotal(run), error, delivery.dequeueCount));
  await services.attempts.clear(job.blob);
  log.warn('job.failed', { code: error.code, message: error.message, record: outcome });
  return { status: 'failed', blob: job.blob, record: outcome, code: error.code };
}
