import type { Usage } from './types.js';

export const NO_USAGE: Usage = { promptTokens: null, completionTokens: null };

const FIGURES = ['promptTokens', 'completionTokens', 'reasoningTokens', 'cachedPromptTokens', 'promptTokensEstimated'] as const;

/** Adds one call's usage to a running total; a figure stays null (or absent) until some call reports it. */
export function addUsage(total: Usage, call: Usage): void {
  for (const figure of FIGURES) {
    const added = call[figure];
    if (added === undefined || added === null) continue;
    total[figure] = (total[figure] ?? 0) + added;
  }
}
