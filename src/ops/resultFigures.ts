/**
 * What the results container says about the last hour: records written, failures by error code, tokens
 * and estimated cost. The figures come from one listing with metadata (ResultStore mirrors status, error
 * code and usage into each record's metadata), so no record body is read, and the listing is the same for
 * every instance of the app: a per-process counter would only see its own instance's writes. Records
 * written before the metadata carried usage are read, up to a bound. The listing is bounded too; past
 * either bound the figures are marked incomplete rather than the scan growing without limit.
 */
import type { BlobItem, ContainerClient } from '@azure/storage-blob';
import { resultRecordSchema } from '../contracts/resultRecord.js';
import { readJsonBlob } from '../storage/readBlob.js';
import { RESULT_METADATA } from '../storage/resultStore.js';
import { recentThroughput, type Throughput } from './throughput.js';

export const RESULTS_WINDOW_SECONDS = 3600;

export interface ScanLimits {
  /** Blobs listed at most (5,000 per list request). */
  maxListed: number;
  /** Record bodies read at most, for records without usage metadata. */
  maxBodyReads: number;
}

export const DEFAULT_SCAN_LIMITS: ScanLimits = { maxListed: 100_000, maxBodyReads: 200 };

export interface ResultFigures {
  windowSeconds: number;
  /** Records whose last write is at or after this time are counted (ISO 8601). */
  since: string;
  succeeded: number;
  failed: number;
  failedByCode: Record<string, number>;
  tokens: {
    /** Prompt plus completion tokens, as the model reported them. */
    used: number;
    prompt: number;
    /** The prompts as estimated before the calls, beside the billed `prompt`. */
    promptEstimated: number;
    completion: number;
    /** The part of `completion` reasoning models spent thinking. */
    reasoning: number;
    /** Image tokens computed before each call (also known for the offline provider and for failures). */
    imageEstimated: number;
  };
  estimatedCostUsd: number;
  /** Results per minute over the last few minutes, beside the hour's counts. */
  throughput: Throughput;
  scan: { listed: number; bodiesRead: number; complete: boolean };
}

interface Entry {
  status: 'succeeded' | 'failed';
  errorCode: string;
  promptTokens: number;
  promptTokensEstimated: number;
  completionTokens: number;
  reasoningTokens: number;
  imageTokens: number;
  costUsd: number;
}

const PAGE_SIZE = 5000;

const number = (value: string | undefined): number => {
  const parsed = Number(value);
  return value === undefined || value === '' || !Number.isFinite(parsed) ? 0 : parsed;
};

function fromMetadata(metadata: Record<string, string>): Entry | undefined {
  const status = metadata[RESULT_METADATA.status];
  if ((status !== 'succeeded' && status !== 'failed') || metadata[RESULT_METADATA.promptTokens] === undefined) return undefined;
  return {
    status,
    errorCode: metadata[RESULT_METADATA.errorCode] ?? '',
    promptTokens: number(metadata[RESULT_METADATA.promptTokens]),
    promptTokensEstimated: number(metadata[RESULT_METADATA.promptTokensEstimated]),
    completionTokens: number(metadata[RESULT_METADATA.completionTokens]),
    reasoningTokens: number(metadata[RESULT_METADATA.reasoningTokens]),
    imageTokens: number(metadata[RESULT_METADATA.imageTokens]),
    costUsd: number(metadata[RESULT_METADATA.costUsd]),
  };
}

async function fromBody(container: ContainerClient, name: string): Promise<Entry | undefined> {
  const body = await readJsonBlob<unknown>(container.getBlockBlobClient(name));
  if (body === undefined) return undefined;
  const parsed = resultRecordSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const { status, error, usage } = parsed.data;
  return {
    status,
    errorCode: error?.code ?? '',
    promptTokens: usage.promptTokens ?? 0,
    promptTokensEstimated: usage.promptTokensEstimated ?? 0,
    completionTokens: usage.completionTokens ?? 0,
    reasoningTokens: usage.reasoningTokens ?? 0,
    imageTokens: usage.imageTokensEstimated ?? 0,
    costUsd: usage.estimatedCostUsd ?? 0,
  };
}

export async function summarizeResults(
  container: ContainerClient,
  now: Date,
  limits: ScanLimits = DEFAULT_SCAN_LIMITS,
  abortSignal?: AbortSignal,
): Promise<ResultFigures> {
  const since = new Date(now.getTime() - RESULTS_WINDOW_SECONDS * 1000);
  const figures: Omit<ResultFigures, 'throughput'> = {
    windowSeconds: RESULTS_WINDOW_SECONDS,
    since: since.toISOString(),
    succeeded: 0,
    failed: 0,
    failedByCode: {},
    tokens: { used: 0, prompt: 0, promptEstimated: 0, completion: 0, reasoning: 0, imageEstimated: 0 },
    estimatedCostUsd: 0,
    scan: { listed: 0, bodiesRead: 0, complete: true },
  };
  const recent: BlobItem[] = [];
  const written: Date[] = [];
  const pages = container
    .listBlobsFlat({ includeMetadata: true, ...(abortSignal === undefined ? {} : { abortSignal }) })
    .byPage({ maxPageSize: PAGE_SIZE });
  for await (const page of pages) {
    for (const blob of page.segment.blobItems) {
      if (figures.scan.listed >= limits.maxListed) {
        figures.scan.complete = false;
        break;
      }
      figures.scan.listed += 1;
      if (blob.properties.lastModified >= since && blob.properties.lastModified <= now) recent.push(blob);
    }
    if (!figures.scan.complete) break;
  }
  for (const blob of recent) {
    let entry = fromMetadata(blob.metadata ?? {});
    if (entry === undefined) {
      if (figures.scan.bodiesRead >= limits.maxBodyReads) {
        figures.scan.complete = false;
        continue;
      }
      figures.scan.bodiesRead += 1;
      entry = await fromBody(container, blob.name).catch(() => undefined);
      if (entry === undefined) continue;
    }
    written.push(blob.properties.lastModified);
    if (entry.status === 'succeeded') {
      figures.succeeded += 1;
    } else {
      figures.failed += 1;
      const code = entry.errorCode === '' ? 'unknown' : entry.errorCode;
      figures.failedByCode[code] = (figures.failedByCode[code] ?? 0) + 1;
    }
    figures.tokens.prompt += entry.promptTokens;
    figures.tokens.promptEstimated += entry.promptTokensEstimated;
    figures.tokens.completion += entry.completionTokens;
    figures.tokens.reasoning += entry.reasoningTokens;
    figures.tokens.imageEstimated += entry.imageTokens;
    figures.estimatedCostUsd += entry.costUsd;
  }
  figures.tokens.used = figures.tokens.prompt + figures.tokens.completion;
  // Sums of small decimals: report to the micro-dollar, as the records do.
  figures.estimatedCostUsd = Math.round(figures.estimatedCostUsd * 1e6) / 1e6;
  return { ...figures, throughput: recentThroughput(written, now) };
}
