/**
 * Every final record a job can end with, built in one place: a success, a cached success, a failure,
 * and the record of a message (or upload name) that names no usable blob.
 */
import type { WorkerError } from '../errors.js';
import { estimateCostUsd } from '../models/modelFamilies.js';
import type { Profile } from '../profiles/types.js';
import type { Usage } from '../providers/types.js';
import type { PreparedImage } from '../media/imageTypes.js';
import { NO_USAGE } from '../providers/usage.js';
import type { CachedAnalysis } from '../storage/resultCache.js';
import { invalidMessagePath } from '../contracts/blobPaths.js';
import type { ValidatedAnswer } from './askModel.js';
import { InvalidMessageError, parseJobMessage, type JobMessage } from '../contracts/jobMessage.js';
import { recordWarnings } from './recordWarnings.js';
import {
  EMPTY_USAGE,
  RESULT_SCHEMA_VERSION,
  namedSource,
  type DocumentInfo,
  type ResultRecord,
  type SourceInfo,
  type Timings,
  type UsageInfo,
} from '../contracts/resultRecord.js';
import type { Delivery, JobServices } from './jobServices.js';
import type { JobOutcome } from './jobOutcome.js';

/** What a job has learnt so far; a failure record carries as much of it as the job got to. */
export interface JobFacts {
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

/** A model's validated answer, with the profile that asked and, for a PDF or multi-page TIFF, the document. */
export interface Answered {
  profile: Profile;
  answer: ValidatedAnswer;
  document?: DocumentInfo;
}

export function emptyTimings(totalMs = 0): Timings {
  return { downloadMs: null, prepareMs: null, modelMs: null, totalMs };
}

/** The name that picks the image-token formula and the price: the profile's own model, else VISION_MODEL. */
export const modelOf = (services: JobServices, profile: Profile): string => profile.model ?? services.config.model.visionModel;

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

export function successRecord(
  services: JobServices,
  facts: JobFacts,
  { profile, answer, document }: Answered,
  attempt: number,
): ResultRecord {
  const { response } = answer;
  const spent = facts.spent ?? NO_USAGE;
  const imageTokens = facts.prepared?.imageTokens ?? 0;
  const billed = {
    // A server that bills nothing is priced at the estimate.
    promptTokens: spent.promptTokens ?? spent.promptTokensEstimated ?? imageTokens,
    cachedPromptTokens: spent.cachedPromptTokens ?? 0,
    completionTokens: spent.completionTokens ?? 0,
  };
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    status: 'succeeded',
    source: facts.source,
    ...(facts.sources === undefined ? {} : { sources: facts.sources }),
    profile: profile.name,
    provider: { name: services.provider.name, model: response.model, ...(response.info === undefined ? {} : { info: response.info }) },
    detail: facts.prepared?.detail ?? null,
    usage: {
      ...usageFigures(spent, imageTokens),
      estimatedCostUsd:
        services.provider.name === 'offline' ? 0 : estimateCostUsd(modelOf(services, profile), billed, services.config.model.priceOverride),
    },
    timings: facts.timings,
    attempt,
    data: answer.data,
    ...(response.evidence === undefined ? {} : { evidence: response.evidence }),
    ...(document === undefined ? {} : { document }),
    warnings: recordWarnings(facts.warnings, answer.warnings, profile.check?.(answer.data) ?? []),
    createdAt: new Date().toISOString(),
  };
}

/** The stored analysis for this content: nothing was spent on it now. */
export function cachedRecord(facts: JobFacts, profile: Profile, hit: CachedAnalysis, attempt: number): ResultRecord {
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    status: 'succeeded',
    source: { ...facts.source, mime: hit.mime, width: hit.width, height: hit.height },
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
    timings: facts.timings,
    attempt,
    cached: true,
    data: hit.data,
    ...(hit.evidence === undefined ? {} : { evidence: hit.evidence }),
    warnings: recordWarnings(facts.warnings, hit.warnings, profile.check?.(hit.data) ?? []),
    createdAt: new Date().toISOString(),
  };
}

export function failureRecord(facts: JobFacts, error: WorkerError, attempt: number): ResultRecord {
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    status: 'failed',
    source: facts.source,
    ...(facts.sources === undefined ? {} : { sources: facts.sources }),
    profile: facts.profile,
    provider: { name: null, model: null },
    detail: facts.prepared?.detail ?? null,
    usage: { ...EMPTY_USAGE, ...usageFigures(facts.spent ?? NO_USAGE, facts.prepared?.imageTokens ?? null) },
    timings: facts.timings,
    attempt,
    error: {
      code: error.code,
      message: error.message,
      retryable: error.retryable,
      ...(error.details === undefined ? {} : { details: error.details }),
    },
    warnings: recordWarnings(facts.warnings),
    createdAt: new Date().toISOString(),
  };
}

/** A message or upload name the worker cannot use: its record goes where any name can be kept. */
export async function recordInvalidMessage(
  services: JobServices,
  error: InvalidMessageError,
  delivery: Delivery,
  started: number,
): Promise<JobOutcome> {
  const path = invalidMessagePath(error.key);
  const source = namedSource(error.upload?.container ?? '', error.upload?.blob ?? '', '', null);
  const record = failureRecord(
    { source, profile: null, timings: emptyTimings(services.now() - started), warnings: [] },
    error,
    delivery.dequeueCount,
  );
  const outcome = await services.results.writeFinal(record, path);
  services.logger.warn(`job.${error.code}`, { path, message: error.message, messageId: delivery.messageId });
  return { status: 'failed', blob: path, record: outcome, code: error.code };
}

/** The job a message names, or, when it names none the worker can use, the outcome of recording that. */
export async function parseOrRecordInvalid(
  services: JobServices,
  raw: unknown,
  delivery: Delivery,
  started: number,
): Promise<{ job: JobMessage } | { invalid: JobOutcome }> {
  try {
    return { job: parseJobMessage(raw, services.config.names.inputContainer) };
  } catch (error) {
    if (!(error instanceof InvalidMessageError)) throw error;
    return { invalid: await recordInvalidMessage(services, error, delivery, started) };
  }
}
