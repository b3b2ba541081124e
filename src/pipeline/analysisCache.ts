/**
 * RESULT_CACHE: identical bytes with the same profile, model and settings reuse the stored analysis.
 * Only model answers are cached, as they are what costs; the offline provider's answers come from this
 * code, which a deployment may change while the key would not.
 */
import { ensureError } from '../errors.js';
import type { Profile } from '../profiles/types.js';
import type { CachedAnalysis } from '../storage/resultCache.js';
import { analysisKey } from './analysisKey.js';
import type { ValidatedAnswer } from './askModel.js';
import type { JobRun } from './jobRun.js';
import type { ResultRecord, SourceInfo } from '../contracts/resultRecord.js';

export function cacheKey({ services }: JobRun, profile: Profile, source: SourceInfo): string | undefined {
  if (!services.config.resultCache || services.provider.name === 'offline' || source.sha256 === null) return undefined;
  return analysisKey(services.config, profile, source.sha256);
}

/** A cache that cannot be read is a miss: the job can still be answered by the model. */
export async function readCache({ services, log }: JobRun, key: string, profile: Profile): Promise<CachedAnalysis | undefined> {
  try {
    const entry = await services.cache.get(key);
    // The schema is part of the key; checking again costs nothing and guards against a damaged entry.
    return entry !== undefined && profile.schema.safeParse(entry.data).success ? entry : undefined;
  } catch (error) {
    log.warn('cache.read_failed', { key, message: ensureError(error).message });
    return undefined;
  }
}

/** The record is what matters; a cache entry that could not be written only costs a model call later. */
export async function writeCache({ services, log }: JobRun, key: string, record: ResultRecord, answer: ValidatedAnswer): Promise<void> {
  try {
    await services.cache.put(key, {
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
