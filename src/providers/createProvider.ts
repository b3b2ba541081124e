import type { Config } from '../config.js';
import { createOfflineProvider } from './offlineProvider.js';
import { createOpenAiProvider } from './openaiProvider.js';
import type { VisionProvider } from './types.js';

/** The offline provider unless a model endpoint is configured. */
export function createProvider(config: Config): VisionProvider {
  return config.provider.kind === 'offline' ? createOfflineProvider() : createOpenAiProvider(config.provider, config.model);
}
