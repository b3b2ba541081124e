/**
 * The job: message -> blob -> bytes -> image -> model -> validated result. This is the one place that
 * decides what a failure means: a permanent error writes a failure record and completes the message; a
 * rate limit puts the job back on the queue with a delay (deferJob.ts) until MAX_RATE_LIMIT_DEFERRALS,
 * then writes a `rate_limited` record; any other transient error is noted and rethrown so the queue
 * redelivers it (and, after the host's maxDequeueCount, moves it to the poison queue, where
 * `recordPoisonedJob` writes the final record). Retryable failure records are parked for replay.
 */
import { prepareDocument, type PreparedDocument } from '../documents/prepareDocument.js';
import { PermanentError, TransientError, WorkerError, asWorkerError, ensureError } from '../errors.js';
import type { Logger } from '../log.js';
import { estimateCostUsd } from '../models/modelFamilies.js';
import { planFor } from '../models/requestShape.js';
import { PROFILE_METADATA_KEY } from '../names.js';
import { selectProfileName } from '../profiles/catalog.js';
import type { Profile } from '../profiles/types.js';
import type { PreparedImage, RequestImage, Usage } from '../providers/types.js';
import { NO_USAGE } from '../providers/usage.js';
import { downloadBlob, type DownloadedBlob } from '../storage/downloadBlob.js';
import type { CachedAnalysis } from '../storage/resultCache.js';
import type { ClaimOutcome } from '../storage/jobClaims.js';
import { invalidMessagePath, type WriteOutcome } from '../storage/resultStore.js';
import { isStorageFailure, storageUnavailable } from '../storage/storageErrors.js';
import { analysisKey } from './analysisKey.js';
import { askDocument } from './askDocument.js';
import { askModel, type ValidatedAnswer } from './askModel.js';
import { MANIFEST_DEFAULT_PROFILE, isManifest, loadManifestImages, parseManifest, withPrompt } from './compareManifest.js';
import { deferJob, deferralsExhausted, type Deferral } from './deferJob.js';
import { detectMediaType } from './detectMediaType.js';
import { InvalidMessageError, parseJobMessage, type JobMessage } from './jobMessage.js';
import type { PrepareOptions } from './prepareImage.js';
import { EMPTY_USAGE, RESULT_SCHEMA_VERSION, namedSource, type DocumentInfo, type ResultRecord, type SourceInfo, type Timings, type UsageInfo } from './resultRecord.js';
import { recordWarnings } from './recordWarnings.js';
import { prepareDetected, sourceOf } from './uploadedImage.js';
import type { Delivery, Worker } from './worker.js';

export type JobOutcome =
  | { status: 'succeeded' | 'failed'; blob: string; record: WriteOutcome; code?: string }
  | { status: 'skipped'; blob: string; reason: string }
  | ({ status: 'deferred'; blob: string } & Deferral);

/** What is known so far; a failure record carries as much of it as the job got to. */
interface Progress {
  source: SourceInfo;
  /** The images a comparison manifest named, as far as they were read. */
  sources?: SourceInfo[];
  profile: string | null;
  /** Of all images sent together. */
  prepared?: Pick<PreparedImage, 'detail' | 'imageTokens'>;
  /** Tokens of every model call so far, repairs included. */
  spent?: Usage;
  timings: Timings;
  warnings: string[];
}

/** `deadline` aborts the job's model calls when its time budget (`Worker.jobTimeoutMs`) runs out. */
type JobProgress = Progress & { job: JobMessage; spent: Usage; deadline: AbortSignal };

const PROFILE_NOT_FOUND = (name: string, known: string[], from: string): PermanentError =>
  new PermanentError('unknown_profile', `profile "${name}" (from ${from}) is not defined; known profiles: ${known.join(', ')}`);

/**
 * Storage can fail anywhere in a job (throttling, an emulator restart, a reset connection): such a
 * failure is never the file's, so it is `storage_unavailable` and the queue retries it.
 */
function classify(thrown: unknown): WorkerError {
  if (!(thrown instanceof WorkerError) && isStorageFailure(thrown)) return storageUnavailable(thrown, 'running the job');
  return asWorkerError(thrown);
}

/**
 * Returns once the job has its final record, was skipped (its content already succeeded) or was deferred
 * (put back on the queue for a rate limit); throws a retryable WorkerError for the queue to redeliver.
 */
export async function processJob(worker: Worker, raw: unknown, delivery: Delivery): Promise<JobOutcome> {
  try {
    return await runJob(worker, raw, delivery);
  } catch (thrown) {
    throw classify(thrown);
  }
}

async function runJob(worker: Worker, raw: unknown, delivery: Delivery): Promise<JobOutcome> {
  const started = worker.now();
  let job: JobMessage;
  try {
    job = parseJobMessage(raw, worker.config.names.inputContainer);
  } catch (error) {
    if (!(error instanceof InvalidMessageError)) throw error;
    return recordInvalidMessage(worker, error, delivery, started);
  }
  const log = worker.logger.child({
    blob: job.blob,
    etag: job.etag,
    attempt: delivery.dequeueCount,
    ...(job.deferrals === undefined ? {} : { deferrals: job.deferrals }),
  });
  const claim = delivery.messageId === undefined ? undefined : await claimJob(worker, job, delivery.messageId);
  if (claim?.claimed === false) {
    log.info('job.skipped', { reason: 'another delivery is working on it', heldBy: claim.heldBy });
    return { status: 'skipped', blob: job.blob, reason: `another delivery of this job (message ${claim.heldBy}) is working on it` };
  }
  const release = claim === undefined ? async () => undefined : () => worker.claims.release(job, claim.etag);
  try {
    // Checked under the claim: a copy that finished meanwhile wrote its record before it let go.
    if (await worker.results.hasSucceeded(job.blob, job.etag)) {
      log.info('job.skipped', { reason: 'already succeeded' });
      return { status: 'skipped', blob: job.blob, reason: 'a successful record for this content already exists' };
    }
    const progress: JobProgress = {
      job,
      source: namedSource(job.container, job.blob, job.etag, job.contentLength),
      profile: null,
      spent: { ...NO_USAGE },
      timings: { downloadMs: null, prepareMs: null, modelMs: null, totalMs: 0 },
      warnings: [],
      deadline: AbortSignal.timeout(Math.max(1, Math.round(worker.jobTimeoutMs - (worker.now() - started)))),
    };
    return await finishJob(worker, job, progress, delivery, started, log, release);
  } finally {
    // A claim left behind only delays a duplicate copy until it expires: the job itself has ended.
    await release().catch((error: unknown) => log.warn('claim.release_failed', { message: ensureError(error).message }));
  }
}

/**
 * The time budget covers all of a job's work, not only its model calls: downloads, decoding, OCR and
 * documents too. Work still running when it ends is abandoned, and the delivery fails as a timeout.
 */
const ABANDON_GRACE_MS = 1_000;

function withinBudget<T>(worker: Worker, deadline: AbortSignal, work: Promise<T>): Promise<T> {
  const spent = (): TransientError =>
    new TransientError('timeout', `the job used its whole time budget (${worker.jobTimeoutMs} ms) before it finished`, {
      details: { timeoutMs: worker.jobTimeoutMs },
    });
  if (deadline.aborted) return Promise.reject(spent());
  return new Promise<T>((resolve, reject) => {
    let abandon: NodeJS.Timeout | undefined;
    // Work that honours the deadline (model calls, downloads) gets a moment to say what it was doing.
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

/** The claim TTL: a job cannot run longer than its time budget, and its record takes a moment more. */
const CLAIM_GRACE_MS = 60_000;

function claimJob(worker: Worker, job: JobMessage, messageId: string): Promise<ClaimOutcome> {
  return worker.claims.claim(job, messageId, worker.jobTimeoutMs + CLAIM_GRACE_MS);
}

async function finishJob(
  worker: Worker,
  job: JobMessage,
  progress: JobProgress,
  delivery: Delivery,
  started: number,
  log: Logger,
  release: () => Promise<void>,
): Promise<JobOutcome> {
  try {
    const record = await withinBudget(worker, progress.deadline, analyze(worker, progress, delivery, started, log));
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
      ...(record.cached === true ? { cached: true } : {}),
      ...(record.sources === undefined ? {} : { images: record.sources.length }),
    });
    return { status: 'succeeded', blob: job.blob, record: outcome };
  } catch (thrown) {
    let error = classify(thrown);
    if (error.code === 'rate_limited') {
      const deferrals = job.deferrals ?? 0;
      if (deferrals < worker.config.maxRateLimitDeferrals) {
        // The deferred copy is a new message: the claim must be gone first, or a copy finding it would end
        // without a record. A release that fails fails the delivery, which comes back as the same message.
        await release();
        const deferral = await deferJob(worker, job, error, log);
        return { status: 'deferred', blob: job.blob, ...deferral };
      }
      error = deferralsExhausted(error, deferrals);
    } else if (error.retryable) {
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
    // Parked before the record is written: a failure in between leaves a redelivery to write it, not a record nobody can replay.
    if (error.retryable) await worker.poisoned.park(job, error.code);
    const outcome = await worker.results.writeFinal(failureRecord(progress, error, delivery.dequeueCount));
    await worker.attempts.clear(job.blob);
    log.warn('job.failed', { code: error.code, message: error.message, record: outcome });
    return { status: 'failed', blob: job.blob, record: outcome, code: error.code };
  }
}

/** Returns undefined when the blob's current content already has a successful record. */
async function analyze(
  worker: Worker,
  progress: JobProgress,
  delivery: Delivery,
  started: number,
  log: Logger,
): Promise<ResultRecord | undefined> {
  const { job, timings } = progress;
  const mark = worker.now();
  const blob: DownloadedBlob = await downloadBlob(worker.input, job.blob, worker.config.maxBlobBytes, progress.deadline);
  timings.downloadMs = worker.now() - mark;
  progress.source = { ...sourceOf(job.container, job.blob, blob), etag: job.etag };
  if (blob.etag !== '' && blob.etag !== job.etag) {
    // Overwritten after it was enqueued: the current content is analysed; the newer upload's own job finds this record.
    progress.warnings.push(`the blob changed after it was enqueued (ETag ${job.etag} -> ${blob.etag}); the current content was analysed`);
    progress.source.etag = blob.etag;
    if (await worker.results.hasSucceeded(job.blob, blob.etag)) return undefined;
  }
  if (isManifest(job.blob)) {
    return successRecord(worker, progress, await compareImages(worker, progress, blob), delivery.dequeueCount, started);
  }
  const profile = profileOf(worker, job, blob);
  progress.profile = profile.name;
  const key = cacheKey(worker, profile, progress.source);
  const hit = key === undefined ? undefined : await readCache(worker, key, profile, log);
  if (hit !== undefined) return cachedRecord(worker, progress, profile, hit, delivery.dequeueCount, started);
  const answered = await analyzeImage(worker, progress, blob, profile);
  const record = successRecord(worker, progress, answered, delivery.dequeueCount, started);
  if (key !== undefined) await writeCache(worker, key, record, answered.answer, log);
  return record;
}

/**
 * Only model answers are cached: they are what costs. The offline provider's answers come from this
 * code, which a deployment may change while the key would not.
 */
function cacheKey(worker: Worker, profile: Profile, source: SourceInfo): string | undefined {
  if (!worker.config.resultCache || worker.provider.name === 'offline' || source.sha256 === null) return undefined;
  return analysisKey(worker.config, profile, source.sha256);
}

/** A cache that cannot be read is a miss: the job can still be answered by the model. */
async function readCache(worker: Worker, key: string, profile: Profile, log: Logger): Promise<CachedAnalysis | undefined> {
  try {
    const entry = await worker.cache.get(key);
    // The schema is part of the key; checking again costs nothing and guards against a damaged entry.
    return entry !== undefined && profile.schema.safeParse(entry.data).success ? entry : undefined;
  } catch (error) {
    log.warn('cache.read_failed', { key, message: ensureError(error).message });
    return undefined;
  }
}

/** The record is what matters; a cache entry that could not be written only costs a model call later. */
async function writeCache(worker: Worker, key: string, record: ResultRecord, answer: ValidatedAnswer, log: Logger): Promise<void> {
  try {
    await worker.cache.put(key, {
      data: record.data,
      ...(record.evidence === undefined ? {} : { evidence: record.evidence }),
      provider: record.provider,
      detail: record.detail,
      mime: record.source.mime,
      width: record.source.width,
      height: record.source.height,
      warnings: answer.warnings,
      analysedFrom: { blob: record.source.blob, etag: record.source.etag, createdAt: record.createdAt },
    });
  } catch (error) {
    log.warn('cache.write_failed', { key, message: ensureError(error).message });
  }
}

/** The stored analysis for this content: nothing was spent on it now. */
function cachedRecord(
  worker: Worker,
  progress: JobProgress,
  profile: Profile,
  hit: CachedAnalysis,
  attempt: number,
  started: number,
): ResultRecord {
  progress.timings.totalMs = worker.now() - started;
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    status: 'succeeded',
    source: { ...progress.source, mime: hit.mime, width: hit.width, height: hit.height },
    profile: profile.name,
    provider: hit.provider,
    detail: hit.detail,
    usage: {
      imageTokensEstimated: 0,
      promptTokensEstimated: 0,
      promptTokens: 0,
      cachedPromptTokens: 0,
      completionTokens: 0,
      reasoningTokens: 0,
      estimatedCostUsd: 0,
    },
    timings: progress.timings,
    attempt,
    cached: true,
    data: hit.data,
    ...(hit.evidence === undefined ? {} : { evidence: hit.evidence }),
    warnings: recordWarnings(progress.warnings, hit.warnings, profile.check?.(hit.data) ?? []),
    createdAt: new Date().toISOString(),
  };
}

interface Answered {
  profile: Profile;
  answer: ValidatedAnswer;
  /** For a PDF or multi-page TIFF. */
  document?: DocumentInfo;
}

function prepareOptions(worker: Worker, profile: Profile): PrepareOptions {
  return {
    model: modelOf(worker, profile),
    detail: profile.detail,
    format: profile.prepare.format,
    maxInputPixels: worker.config.maxInputPixels,
    render: worker.config.documents.render,
  };
}

/** The name that picks the image-token formula and the price: the profile's own model, else VISION_MODEL. */
/** The record's token figures: the estimates beside what the service billed. */
function usageFigures(spent: Usage, imageTokens: number | null): Omit<UsageInfo, 'estimatedCostUsd'> {
  return {
    imageTokensEstimated: imageTokens,
    promptTokensEstimated: spent.promptTokensEstimated ?? null,
    promptTokens: spent.promptTokens,
    cachedPromptTokens: spent.cachedPromptTokens ?? null,
    completionTokens: spent.completionTokens,
    reasoningTokens: spent.reasoningTokens ?? null,
  };
}

const modelOf = (worker: Worker, profile: Profile): string => profile.model ?? worker.config.model.visionModel;

/**
 * The profile named for the content analysed: its own metadata, read with its bytes. The message's
 * profile was read from the upload it was written for, so it counts only while that is the content.
 */
function namedProfile(job: JobMessage, blob: DownloadedBlob): string | undefined {
  const own = blob.metadata[PROFILE_METADATA_KEY];
  if (own !== undefined) return own;
  return blob.etag === '' || blob.etag === job.etag ? job.profile : undefined;
}

function profileOf(worker: Worker, job: JobMessage, blob: DownloadedBlob): Profile {
  const fromMetadata = namedProfile(job, blob);
  return lookUp(
    worker,
    selectProfileName(worker.config.profiles, job.blob, fromMetadata),
    fromMetadata === undefined ? 'the path rules or default' : 'blob metadata',
  );
}

async function analyzeImage(worker: Worker, progress: JobProgress, blob: DownloadedBlob, profile: Profile): Promise<Answered> {
  const { job } = progress;
  const mark = worker.now();
  const detected = await detectMediaType(blob.bytes);
  if (detected.document !== undefined) {
    progress.source.mime = detected.mime;
    return analyzeDocument(worker, progress, blob, profile, detected.document, mark);
  }
  const image = await prepareDetected(job.blob, blob.bytes, detected, progress.source, prepareOptions(worker, profile), 'images or documents');
  progress.prepared = image.image;
  progress.timings.prepareMs = worker.now() - mark;
  return ask(worker, progress, profile, [image]);
}

/**
 * A PDF or multi-page TIFF: pages at the model's resolution with their text layer as grounding, or, for
 * the offline provider (which reads the text layer or OCRs the pages and spends no tokens), at OCR
 * resolution with no token budget, each page drawn as it is read.
 */
async function analyzeDocument(
  worker: Worker,
  progress: JobProgress,
  blob: DownloadedBlob,
  profile: Profile,
  kind: DocumentInfo['kind'],
  mark: number,
): Promise<Answered> {
  const { config } = worker;
  const model = worker.provider.name === 'openai';
  const document = await prepareDocument(blob.bytes, kind, {
    name: progress.job.blob,
    prepare: prepareOptions(worker, profile),
    limits: config.documents,
    renderFor: model ? 'model' : 'ocr',
    profile,
    priceOverride: config.model.priceOverride,
    completionBudget: planFor({ profile }, config.model.visionModel, config.model.request).budget,
    grounding: model,
    budgeted: model,
  });
  progress.prepared = {
    detail: document.pages[0]?.model.detail ?? 'low',
    imageTokens: document.pages.reduce((sum, { model: copy }) => sum + copy.imageTokens, 0),
  };
  const planMs = worker.now() - mark;
  progress.timings.prepareMs = planMs;
  // Pages drawn as they are read (for OCR) count as preparation, as when every page was drawn up front; a
  // page that cannot be drawn leaves the job unprepared, as it did then, when it failed before any read.
  let drawMs = 0;
  let drawFailed = false;
  const drawing: PreparedDocument = {
    ...document,
    draw: async (n) => {
      const begun = worker.now();
      try {
        return await document.draw(n);
      } catch (error) {
        drawFailed = true;
        throw error;
      } finally {
        drawMs += worker.now() - begun;
      }
    },
  };
  const asked = worker.now();
  try {
    const { answer, document: info } = await askDocument(worker.provider, profile, drawing, progress.spent, {
      grounding: model,
      signal: progress.deadline,
    });
    return { profile, answer, document: info };
  } finally {
    if (drawFailed) {
      delete progress.prepared;
      progress.timings.prepareMs = null;
    } else {
      progress.timings.prepareMs = planMs + drawMs;
      progress.timings.modelMs = worker.now() - asked - drawMs;
    }
    await document.close();
  }
}

/** A comparison manifest: every image it names, in one request, with the manifest's question. */
async function compareImages(worker: Worker, progress: JobProgress, blob: DownloadedBlob): Promise<Answered> {
  const { job, source } = progress;
  const manifest = parseManifest(blob.bytes.toString('utf8'), worker.config.maxCompareImages, job.container);
  // Only now is it known to be JSON; `source.mime` is never taken from the name alone.
  source.mime = 'application/json';
  const fromMetadata = namedProfile(job, blob);
  const [name, from] =
    manifest.profile !== undefined
      ? [manifest.profile, 'the manifest']
      : fromMetadata !== undefined
        ? [fromMetadata, 'blob metadata']
        : [MANIFEST_DEFAULT_PROFILE, 'the default for manifests'];
  const profile = lookUp(worker, name, from);
  progress.profile = profile.name;
  const sources: SourceInfo[] = [];
  progress.sources = sources;
  const images = await loadManifestImages(worker, manifest, prepareOptions(worker, profile), { timings: progress.timings, sources });
  progress.prepared = {
    detail: images[0]?.image.detail ?? 'low',
    imageTokens: images.reduce((sum, { image }) => sum + image.imageTokens, 0),
  };
  return ask(worker, progress, withPrompt(profile, manifest.prompt), images);
}

async function ask(worker: Worker, progress: JobProgress, profile: Profile, images: RequestImage[]): Promise<Answered> {
  const mark = worker.now();
  try {
    return { profile, answer: await askModel(worker.provider, { profile, images, signal: progress.deadline }, progress.spent) };
  } finally {
    progress.timings.modelMs = worker.now() - mark;
  }
}

function successRecord(
  worker: Worker,
  progress: JobProgress,
  { profile, answer, document }: Answered,
  attempt: number,
  started: number,
): ResultRecord {
  const { config } = worker;
  const { response } = answer;
  const { spent } = progress;
  const imageTokens = progress.prepared?.imageTokens ?? 0;
  progress.timings.totalMs = worker.now() - started;
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    status: 'succeeded',
    source: progress.source,
    ...(progress.sources === undefined ? {} : { sources: progress.sources }),
    profile: profile.name,
    provider: { name: worker.provider.name, model: response.model, ...(response.info === undefined ? {} : { info: response.info }) },
    detail: progress.prepared?.detail ?? null,
    usage: {
      ...usageFigures(spent, imageTokens),
      estimatedCostUsd:
        worker.provider.name === 'offline'
          ? 0
          : estimateCostUsd(
              modelOf(worker, profile),
              {
                // A server that bills nothing is priced at the estimate.
                promptTokens: spent.promptTokens ?? spent.promptTokensEstimated ?? imageTokens,
                cachedPromptTokens: spent.cachedPromptTokens ?? 0,
                completionTokens: spent.completionTokens ?? 0,
              },
              config.model.priceOverride,
            ),
    },
    timings: progress.timings,
    attempt,
    data: answer.data,
    ...(response.evidence === undefined ? {} : { evidence: response.evidence }),
    ...(document === undefined ? {} : { document }),
    warnings: recordWarnings(progress.warnings, answer.warnings, profile.check?.(answer.data) ?? []),
    createdAt: new Date().toISOString(),
  };
}

function lookUp(worker: Worker, name: string, from: string): Profile {
  const { profiles } = worker.config.profiles;
  const profile = profiles.get(name);
  if (profile === undefined) throw PROFILE_NOT_FOUND(name, [...profiles.keys()], from);
  return profile;
}

export function failureRecord(progress: Omit<Progress, 'job'>, error: WorkerError, attempt: number): ResultRecord {
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    status: 'failed',
    source: progress.source,
    ...(progress.sources === undefined ? {} : { sources: progress.sources }),
    profile: progress.profile,
    provider: { name: null, model: null },
    detail: progress.prepared?.detail ?? null,
    usage: { ...EMPTY_USAGE, ...usageFigures(progress.spent ?? NO_USAGE, progress.prepared?.imageTokens ?? null) },
    timings: progress.timings,
    attempt,
    error: {
      code: error.code,
      message: error.message,
      retryable: error.retryable,
      ...(error.details === undefined ? {} : { details: error.details }),
    },
    warnings: recordWarnings(progress.warnings),
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
    source: namedSource('', '', '', null),
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
