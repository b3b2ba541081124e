/**
 * What makes two analyses interchangeable: the same bytes, asked the same question (the profile's
 * prompts, schema, detail, token limit, preparation and OCR grounding), of the same model behind the same endpoint.
 * Change any of them and the key changes, so a stale answer is never reused.
 */
import { createHash } from 'node:crypto';
import { groundsWithOcr, type Config } from '../config.js';
import type { Profile } from '../profiles/types.js';

/** Raised when what an entry holds, or how an image is prepared, changes meaning. */
const CACHE_FORMAT = 1;

function endpointOf(config: Config): string {
  const { provider } = config;
  if (provider.kind === 'offline') return 'offline';
  if (provider.kind === 'azure-openai') return `azure-openai ${provider.endpoint} ${provider.deployment}`;
  return `openai ${provider.baseUrl ?? ''} ${provider.model}`;
}

export function analysisKey(config: Config, profile: Profile, sha256: string): string {
  const fingerprint = JSON.stringify({
    format: CACHE_FORMAT,
    sha256,
    endpoint: endpointOf(config),
    model: profile.model ?? config.model.visionModel,
    // Only when on, so that the keys of entries written without it stay as they were.
    ...(groundsWithOcr(config, profile.name) ? { ocrGrounding: true } : {}),
    profile: {
      name: profile.name,
      system: profile.system,
      user: profile.user,
      jsonSchema: profile.jsonSchema,
      detail: profile.detail,
      maxOutputTokens: profile.maxOutputTokens,
      prepare: profile.prepare,
    },
  });
  return createHash('sha256').update(fingerprint).digest('hex');
}
