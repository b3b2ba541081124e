import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { createOfflineProvider } from './offlineProvider.js';
import { createOpenAiProvider } from './openaiProvider.js';
import { observingFetch, withRateLimit } from './rateLimitedProvider.js';
import { RateLimiter, type LimiterState } from './rateLimiter.js';
import type { VisionProvider } from './types.js';

export interface ProviderOptions {
  logger?: Logger;
  /** Where the rate limiter's state goes while it works (the metrics snapshot reads it back). */
  reportLimiter?: (state: LimiterState) => Promise<void>;
}

/** The offline provider unless a model endpoint is configured; model calls then go through the process's rate limiter. */
export function createProvider(config: Config, options: ProviderOptions = {}): VisionProvider {
  if (config.provider.kind === 'offline') return createOfflineProvider({ maxInputPixels: config.maxInputPixels });
  const limiter = new RateLimiter({
    ...config.rateLimit,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.reportLimiter === undefined ? {} : { report: options.reportLimiter }),
  });
  const provider = createOpenAiProvider(config.provider, config.model, { fetch: observingFetch(globalThis.fetch, limiter) });
  return withRateLimit(provider, limiter);
}
