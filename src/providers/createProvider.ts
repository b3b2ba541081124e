import { groundsWithOcr, type Config } from '../config.js';
import type { Logger } from '../log.js';
import { createOfflineProvider } from './offlineProvider.js';
import { createDocumentReader } from './offline/documentReader.js';
import { withOcrGrounding } from './ocrGroundedProvider.js';
import { createOpenAiProvider } from './openaiProvider.js';
import { PromptCalibration } from './promptCalibration.js';
import { observingFetch, withRateLimit } from './rateLimitedProvider.js';
import { RateLimiter } from './rateLimit/rateLimiter.js';
import type { LimiterState } from './rateLimit/state.js';
import type { VisionProvider } from './types.js';

export interface ProviderOptions {
  logger?: Logger;
  /** Where the rate limiter's state goes while it works (the metrics snapshot reads it back). */
  reportLimiter?: (state: LimiterState) => Promise<void>;
}

/**
 * The offline provider unless a model endpoint is configured; model calls then go through the process's
 * rate limiter, after OCR grounding where OCR_GROUNDING asks for it.
 */
export function createProvider(config: Config, options: ProviderOptions = {}): VisionProvider {
  if (config.provider.kind === 'offline') return createOfflineProvider({ maxInputPixels: config.maxInputPixels });
  const limiter = new RateLimiter({
    ...config.rateLimit,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.reportLimiter === undefined ? {} : { report: options.reportLimiter }),
  });
  const provider = createOpenAiProvider(config.provider, config.model, { fetch: observingFetch(globalThis.fetch, limiter) });
  const calibration = new PromptCalibration(options.logger);
  const limited = withRateLimit(provider, limiter, { visionModel: config.model.visionModel, request: config.model.request, calibration });
  if (config.ocrGrounding !== 'all' && config.ocrGrounding.length === 0) return limited;
  // One OCR worker (~250 MB, started with the first grounded call).
  const reader = createDocumentReader({ maxInputPixels: config.maxInputPixels });
  return withOcrGrounding(limited, reader, (profileName) => groundsWithOcr(config, profileName));
}
