/**
 * The one table of vision model families: how each turns an image into input tokens, what it charges,
 * which request shape it accepts and the requests per minute Azure grants per 1000 tokens per minute.
 * Sources and measurements behind each figure: docs/models.md.
 */

export interface Price {
  /** USD per million tokens. */
  inputPerMTok: number;
  /** Input tokens the service served from its prompt cache. */
  cachedInputPerMTok: number;
  outputPerMTok: number;
}

/**
 * `tiles`: low detail costs `base`; high detail costs `base + perTile * tiles` after the 2048 / 768 resize.
 * `patches`: 32-px patches (at most `maxPatches`) times a multiplier, whatever the detail.
 */
export type ImageFormula = { kind: 'tiles'; base: number; perTile: number } | { kind: 'patches'; multiplier: number; maxPatches: number };

/** How hard a reasoning model thinks before it answers, cheapest first. */
export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

/**
 * `classic`: `max_tokens` and `temperature: 0`. `reasoning`: `max_completion_tokens` and
 * `reasoning_effort`, no `temperature` or `top_p` (the service answers 400 to them).
 */
export type RequestShape = 'classic' | 'reasoning';

export type RequestRules = { shape: 'classic' } | { shape: 'reasoning'; efforts: readonly ReasoningEffort[] };

export interface ModelFamily {
  /** Model names starting with this prefix belong to the family. */
  prefix: string;
  image: ImageFormula;
  price: Price;
  request: RequestRules;
  /** Azure's standard deployments: requests per minute granted per 1000 tokens per minute of quota. */
  rpmPer1000Tpm: number;
}

export interface ResolvedModel {
  family: ModelFamily;
  /** False when no prefix matched and the default model's figures were assumed. */
  known: boolean;
}

const tiles = (base: number, perTile: number): ImageFormula => ({ kind: 'tiles', base, perTile });
const patches = (multiplier: number, maxPatches = 1536): ImageFormula => ({ kind: 'patches', multiplier, maxPatches });
const price = (inputPerMTok: number, cachedInputPerMTok: number, outputPerMTok: number): Price => ({
  inputPerMTok,
  cachedInputPerMTok,
  outputPerMTok,
});

const CLASSIC: RequestRules = { shape: 'classic' };
const O_SERIES: RequestRules = { shape: 'reasoning', efforts: ['low', 'medium', 'high'] };
const GPT_5: RequestRules = { shape: 'reasoning', efforts: ['minimal', 'low', 'medium', 'high'] };
const GPT_5_1: RequestRules = { shape: 'reasoning', efforts: ['none', 'low', 'medium', 'high'] };
const GPT_5_2_ON: RequestRules = { shape: 'reasoning', efforts: ['none', 'low', 'medium', 'high', 'xhigh'] };

/** The model `infra/` deploys and the defaults name; also the assumption for a name no prefix matches. */
export const DEFAULT_MODEL = 'gpt-5.1';

const GPT_5_1_FAMILY: ModelFamily = {
  prefix: 'gpt-5.1',
  image: tiles(70, 140),
  price: price(1.25, 0.125, 10),
  request: GPT_5_1,
  rpmPer1000Tpm: 10,
};

// rpmPer1000Tpm: Azure's GlobalStandard quota table (RPM / TPM x 1000); o1 gets 1 request per 6000 TPM.
const FAMILIES: readonly ModelFamily[] = [
  { prefix: 'gpt-4o-mini', image: tiles(2833, 5667), price: price(0.15, 0.075, 0.6), request: CLASSIC, rpmPer1000Tpm: 10 },
  { prefix: 'gpt-4o', image: tiles(85, 170), price: price(2.5, 1.25, 10), request: CLASSIC, rpmPer1000Tpm: 6 },
  { prefix: 'gpt-4.1-mini', image: patches(1.62), price: price(0.4, 0.1, 1.6), request: CLASSIC, rpmPer1000Tpm: 1 },
  { prefix: 'gpt-4.1-nano', image: patches(2.46), price: price(0.1, 0.025, 0.4), request: CLASSIC, rpmPer1000Tpm: 1 },
  { prefix: 'gpt-4.1', image: tiles(85, 170), price: price(2, 0.5, 8), request: CLASSIC, rpmPer1000Tpm: 1 },
  { prefix: 'o1', image: tiles(75, 150), price: price(15, 7.5, 60), request: O_SERIES, rpmPer1000Tpm: 1 / 6 },
  { prefix: 'o3', image: tiles(75, 150), price: price(2, 0.5, 8), request: O_SERIES, rpmPer1000Tpm: 1 },
  { prefix: 'o4-mini', image: patches(1.72), price: price(1.1, 0.275, 4.4), request: O_SERIES, rpmPer1000Tpm: 1 },
  { prefix: 'gpt-5', image: tiles(70, 140), price: price(1.25, 0.125, 10), request: GPT_5, rpmPer1000Tpm: 10 },
  { prefix: 'gpt-5-mini', image: patches(1.62), price: price(0.25, 0.025, 2), request: GPT_5, rpmPer1000Tpm: 1 },
  { prefix: 'gpt-5-nano', image: patches(2.46), price: price(0.05, 0.005, 0.4), request: GPT_5, rpmPer1000Tpm: 1 },
  GPT_5_1_FAMILY,
  { prefix: 'gpt-5.2', image: patches(1), price: price(1.75, 0.175, 14), request: GPT_5_2_ON, rpmPer1000Tpm: 10 },
  { prefix: 'gpt-5.4', image: patches(1, 2500), price: price(2.5, 0.25, 15), request: GPT_5_2_ON, rpmPer1000Tpm: 10 },
  { prefix: 'gpt-5.4-mini', image: patches(1.62), price: price(0.75, 0.075, 4.5), request: GPT_5_2_ON, rpmPer1000Tpm: 1 },
  { prefix: 'gpt-5.4-nano', image: patches(2.46), price: price(0.2, 0.02, 1.25), request: GPT_5_2_ON, rpmPer1000Tpm: 1 },
  { prefix: 'gpt-5.5', image: patches(1, 2500), price: price(5, 0.5, 30), request: GPT_5_2_ON, rpmPer1000Tpm: 1 },
];

/** Every family, for tests and docs that walk the table. */
export const MODEL_FAMILIES: readonly ModelFamily[] = FAMILIES;

/** Longest prefix first, so that `gpt-4o-mini-2024-07-18` never matches `gpt-4o`, nor `gpt-5-mini` `gpt-5`. */
const BY_PREFIX_LENGTH = [...FAMILIES].sort((a, b) => b.prefix.length - a.prefix.length);

export function resolveModelFamily(model: string): ResolvedModel {
  const name = model.trim().toLowerCase();
  const family = BY_PREFIX_LENGTH.find((candidate) => name.startsWith(candidate.prefix));
  return family === undefined ? { family: GPT_5_1_FAMILY, known: false } : { family, known: true };
}

/** List price of the model (the default model's for an unknown name; see `resolveModelFamily`). */
export function modelPrice(model: string): Price {
  return resolveModelFamily(model).family.price;
}

export interface TokenCounts {
  promptTokens: number;
  /** Part of `promptTokens` served from the prompt cache, charged at the cached price. */
  cachedPromptTokens?: number;
  /** Reasoning tokens included. */
  completionTokens: number;
}

export type PriceOverride = Partial<Pick<Price, 'inputPerMTok' | 'outputPerMTok'>>;

/** Cost of one call in USD; a configured override replaces the list price per direction (cached input too). */
export function estimateCostUsd(model: string, tokens: TokenCounts, override: PriceOverride = {}): number {
  const listed = modelPrice(model);
  const inputPerMTok = override.inputPerMTok ?? listed.inputPerMTok;
  const cachedPerMTok = override.inputPerMTok ?? listed.cachedInputPerMTok;
  const outputPerMTok = override.outputPerMTok ?? listed.outputPerMTok;
  const cached = Math.min(tokens.cachedPromptTokens ?? 0, tokens.promptTokens);
  return ((tokens.promptTokens - cached) * inputPerMTok + cached * cachedPerMTok + tokens.completionTokens * outputPerMTok) / 1_000_000;
}
