/**
 * The last stop for a job whose retries ran out: the final record says how many attempts ran and what
 * the last one saw, so that no upload is left without a record, and the job is parked so that
 * `npm run replay-poison` can send it back once the cause is fixed.
 */
import { POISONED_CODE, WorkerError, type ErrorCode } from '../errors.js';
import type { JobOutcome } from './jobOutcome.js';
import { emptyTimings, failureRecord, parseOrRecordInvalid } from './jobRecords.js';
import { namedSource } from '../contracts/resultRecord.js';
import type { Delivery, JobServices } from './jobServices.js';

/** Retries could have helped but ran out; the code is the last attempt's own, when it is known. */
class PoisonedError extends WorkerError {
  override readonly retryable = true;
}

export async function recordPoisonedJob(
  services: JobServices,
  raw: unknown,
  delivery: Delivery,
  maxDequeueCount: number,
): Promise<JobOutcome> {
  const started = services.now();
  const parsed = await parseOrRecordInvalid(services, raw, delivery, started);
  if ('invalid' in parsed) return parsed.invalid;
  const { job } = parsed;
  const attempts = await services.attempts.read(job.blob, job.etag);
  const last = attempts.at(-1);
  const lastCode = (last?.code ?? POISONED_CODE) as ErrorCode;
  // The history is the truth; without one, the host ran the job maxDequeueCount times.
  const attemptCount = attempts.length > 0 ? attempts.length : maxDequeueCount;
  const error = new PoisonedError(
    lastCode,
    `gave up after ${attemptCount} attempts; the last error was: ${last?.message ?? 'not recorded'}`,
    {
      details: {
        attempts: attemptCount,
        lastError: last ?? null,
        history: attempts,
        ...(job.deferrals === undefined ? {} : { deferrals: job.deferrals }),
      },
    },
  );
  const source = namedSource(job.container, job.blob, job.etag, job.contentLength);
  const record = failureRecord(
    {
      source,
      profile: job.profile ?? null,
      timings: emptyTimings(services.now() - started),
      warnings: [],
    },
    error,
    attemptCount,
  );
  // Parked first, so that a record is never left without the job to replay it (a failure in between redelivers this message).
  await services.poisoned.park(job, lastCode);
  const outcome = await services.results.writeFinal(record);
  await services.attempts.clear(job.blob);
  services.logger.warn('job.poisoned', {
    blob: job.blob,
    etag: job.etag,
    attempts: attemptCount,
    lastCode: last?.code ?? null,
    record: outcome,
  });
  return { status: 'failed', blob: job.blob, record: outcome, code: lastCode };
}
