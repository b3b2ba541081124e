/**
 * The job: message -> blob -> bytes -> image -> model -> validated result. This is the one place that
 * decides what a failure means: a permanent error writes a failure record and completes the message; a
 * transient one is noted and rethrown so the queue redelivers it (and, after the host's maxDequeueCount,
 * moves it to the poison queue, where `recordPoisonedJob` writes the final record).
 */
import { createHash } from 'node:crypto';
import { PermanentError, asWorkerError, type WorkerError } from '../errors.js';
import { selectProfileName } from '../profiles/index.js';
import type { Profile } from '../profiles/types.js';
import type { AnalysisResponse, PreparedImage, SourceImage } from '../providers/types.js';
import { downloadBlob, type DownloadedBlob } from '../storage/downloadBlob.js';
import { invalidMessagePath, type WriteOutcome } from '../storage/resultStore.js';
import { detectMediaType } from './detectMediaType.js';
import { estimateCostUsd } from './imageTokens.js';
import { InvalidMessageError, parseJobMessage, type JobMessage } from './jobMessage.js';
import { prepareImage } from './prepareImage.js';
import { EMPTY_USAGE, RESULT_SCHEMA_VERSION, type ResultRecord, type SourceInfo, type Timings } from './resultRecord.js';
import type { Delivery, Worker } from './worker.js';

export type JobOutcome =
  | { status: 'succeeded' | 'failed'; blob: string; record: WriteOutcome; code?: string }
  | { status: 'skipped'; blob: string; reason: string };

/** What is known so far; a failure record carries as much of it as the job got to. */
interface Progress {
  source: SourceInfo;
  profile: string | null;
  prepared?: PreparedImage;
  timings: Timings;
  warnings: string[];
}

const PROFILE_NOT_FOUND = (name: string, known: string[], from: string): PermanentError =>
  new PermanentError('unknown_profile', `profile "${name}" (from ${from}) is not defined; known profiles: ${known.join(', ')}`);

export async function processJob(worker: Worker, raw: unknown, delivery: Delivery): Promise<JobOutcome> {
  const started = worker.now();
  let job: JobMessage;
  try {
    job = parseJobMessage(raw, worker.config.names.inputContainer);
  } catch (error) {
    if (!(error instanceof InvalidMessageError)) throw error;
    return recordInvalidMessage(worker, error, delivery, started);
  }
  const log = worker.logger.child({ blob: job.blob, etag: job.etag, attempt: delivery.dequeueCount });
  if (await worker.results.hasSucceeded(job.blob, job.etag)) {
    log.info('job.skipped', { reason: 'already succeeded' });
    return { status: 'skipped', blob: job.blob, reason: 'a successful record for this content already exists' };
  }
  const progress: Progress & { job: JobMessage } = {
    job,
    source: {
      container: job.container,
      blob: job.blob,
      etag: job.etag,
      size: job.contentLength,
      sha256: null,
      mime: null,
      width: null,
      height: null,
      lastModified: null,
    },
    profile: null,
    timings: { downloadMs: null, prepareMs: null, modelMs: null, totalMs: 0 },
    warnings: [],
  };
  try {
    const record = await analyze(worker, progress, delivery, started);
    if (record === undefined) {
      log.info('job.skipped', { reason: 'current content already succeeded' });
      return { status: 'skipped', blob: job.blob, reason: 'a successful record for the current content already exists' };
    }
    const outcome = await worker.results.writeFinal(record);
    await worker.attempts.clear(job.blob);
    log.info('job.succeeded', {
      profile: record.profile,
      record: outcome,
      totalMs: record.timings.totalMs,
      imageTokens: record.usage.imageTokensEstimated,
      promptTokens: record.usage.promptTokens,
    });
    return { status: 'succeeded', blob: job.blob, record: outcome };
  } catch (thrown) {
    const error = asWorkerError(thrown);
    if (error.retryable) {
      log.warn('job.retry', { code: error.code, message: error.message });
      await worker.attempts.append(job.blob, job.etag, {
        at: new Date().toISOString(),
        attempt: delivery.dequeueCount,
        code: error.code,
        message: error.message,
      });
      throw error;
    }
    progress.timings.totalMs = worker.now() - started;
    const outcome = await worker.results.writeFinal(failureRecord(progress, error, delivery.dequeueCount));
    await worker.attempts.clear(job.blob);
    log.warn('job.failed', { code: error.code, message: error.message, record: outcome });
    return { status: 'failed', blob: job.blob, record: outcome, code: error.code };
  }
}

/** Returns undefined when the blob's current content already has a successful record. */
async function analyze(
  worker: Worker,
  progress: Progress & { job: JobMessage },
  delivery: Delivery,
  started: number,
): Promise<ResultRecord | undefined> {
  const { config } = worker;
  const { job, source, timings } = progress;

  let mark = worker.now();
  const blob: DownloadedBlob = await downloadBlob(worker.input, job.blob, config.maxBlobBytes);
  timings.downloadMs = worker.now() - mark;
  source.size = blob.bytes.length;
  source.sha256 = createHash('sha256').update(blob.bytes).digest('hex');
  source.lastModified = blob.lastModified?.toISOString() ?? null;
  if (blob.etag !== '' && blob.etag !== job.etag) {
    // Overwritten after it was enqueued: the current content is analysed; the newer upload's own job finds this record.
    progress.warnings.push(`the blob changed after it was enqueued (ETag ${job.etag} -> ${blob.etag}); the current content was analysed`);
    source.etag = blob.etag;
    if (await worker.results.hasSucceeded(job.blob, blob.etag)) return undefined;
  }

  const profile = chooseProfile(worker, job, blob.metadata);
  progress.profile = profile.name;

  mark = worker.now();
  const detected = await detectMediaType(blob.bytes);
  source.mime = detected.mime;
  if (!detected.supported) {
    throw new PermanentError(
      'unsupported_media_type',
      `"${job.blob}" is ${detected.mime}; supported are PNG, JPEG, WebP, GIF, TIFF, AVIF and HEIC images`,
      {
        details: { detected: detected.mime },
      },
    );
  }
  const { image, source: sourceImage } = await prepareImage(blob.bytes, detected.mime, {
    model: config.model.visionModel,
    detail: profile.detail,
    format: profile.prepare.format,
    maxInputPixels: config.maxInputPixels,
  });
  source.width = sourceImage.width;
  source.height = sourceImage.height;
  progress.prepared = image;
  timings.prepareMs = worker.now() - mark;

  mark = worker.now();
  const response = await worker.provider.analyze({ profile, image, source: sourceImage satisfies SourceImage });
  timings.modelMs = worker.now() - mark;

  const data = validate(profile, response);
  const warnings = [...progress.warnings, ...response.warnings, ...(profile.check?.(data) ?? [])];
  timings.totalMs = worker.now() - started;
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    status: 'succeeded',
    source,
    profile: profile.name,
    provider: { name: worker.provider.name, model: response.model, ...(response.info === undefined ? {} : { info: response.info }) },
    detail: image.detail,
    usage: {
      imageTokensEstimated: image.imageTokens,
      promptTokens: response.usage.promptTokens,
      completionTokens: response.usage.completionTokens,
      estimatedCostUsd:
        worker.provider.name === 'offline'
          ? 0
          : estimateCostUsd(
              config.model.visionModel,
              response.usage.promptTokens ?? image.imageTokens,
              response.usage.completionTokens ?? 0,
              config.model.priceOverride,
            ),
    },
    timings,
    attempt: delivery.dequeueCount,
    data,
    ...(response.evidence === undefined ? {} : { evidence: response.evidence }),
    warnings,
    createdAt: new Date().toISOString(),
  };
}

function chooseProfile(worker: Worker, job: JobMessage, metadata: Record<string, string>): Profile {
  const { config, profiles } = worker;
  const fromMetadata = job.profile ?? metadata['profile'];
  const name = selectProfileName(job.blob, fromMetadata, config.profileRules, config.defaultProfile);
  const profile = profiles.get(name);
  if (profile === undefined) {
    throw PROFILE_NOT_FOUND(name, [...profiles.keys()], fromMetadata === undefined ? 'the path rules or default' : 'blob metadata');
  }
  return profile;
}

const RAW_TEXT_KEPT = 4000;

/** Every provider's output is checked against the profile's schema; a mismatch keeps the raw text for diagnosis. */
function validate(profile: Profile, response: AnalysisResponse): unknown {
  const parsed = profile.schema.safeParse(response.data);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 10).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new PermanentError(
    'schema_validation_failed',
    `the model's output does not match the "${profile.name}" schema: ${issues.join('; ')}`,
    {
      details: { issues, rawText: response.rawText.slice(0, RAW_TEXT_KEPT) },
    },
  );
}

export function failureRecord(progress: Omit<Progress, 'job'>, error: WorkerError, attempt: number): ResultRecord {
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    status: 'failed',
    source: progress.source,
    profile: progress.profile,
    provider: { name: null, model: null },
    detail: progress.prepared?.detail ?? null,
    usage: { ...EMPTY_USAGE, imageTokensEstimated: progress.prepared?.imageTokens ?? null },
    timings: progress.timings,
    attempt,
    error: {
      code: error.code,
      message: error.message,
      retryable: error.retryable,
      ...(error.details === undefined ? {} : { details: error.details }),
    },
    warnings: progress.warnings,
    createdAt: new Date().toISOString(),
  };
}

export async function recordInvalidMessage(
  worker: Worker,
  error: InvalidMessageError,
  delivery: Delivery,
  started: number,
): Promise<JobOutcome> {
  const path = invalidMessagePath(error.excerpt);
  const record: ResultRecord = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    status: 'failed',
    source: { container: '', blob: '', etag: '', size: null, sha256: null, mime: null, width: null, height: null, lastModified: null },
    profile: null,
    provider: { name: null, model: null },
    detail: null,
    usage: EMPTY_USAGE,
    timings: { downloadMs: null, prepareMs: null, modelMs: null, totalMs: worker.now() - started },
    attempt: delivery.dequeueCount,
    error: { code: error.code, message: error.message, retryable: false, details: { excerpt: error.excerpt } },
    warnings: [],
    createdAt: new Date().toISOString(),
  };
  const outcome = await worker.results.writeFinal(record, path);
  worker.logger.warn('job.invalid_message', { path, message: error.message, messageId: delivery.messageId });
  return { status: 'failed', blob: path, record: outcome, code: error.code };
}
