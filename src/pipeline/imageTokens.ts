/**
 * The one table of vision model families: how each turns an image into input tokens, the size it
 * actually looks at, and its list price. Formulas follow OpenAI's "Images and vision" guide.
 */
import type { ModelSettings } from '../config.js';
import type { Detail } from '../profiles/types.js';

export interface Size {
  width: number;
  height: number;
}

export interface Price {
  /** USD per million tokens. */
  inputPerMTok: number;
  outputPerMTok: number;
}

/**
 * `tiles`: low detail costs `base`; high detail costs `base + perTile * tiles` after the 2048 / 768 resize.
 * `patches`: 32-px patches (at most 1536) times a multiplier, whatever the detail.
 */
export type ImageFormula = { kind: 'tiles'; base: number; perTile: number } | { kind: 'patches'; multiplier: number };

export interface ModelFamily {
  /** Model names starting with this prefix belong to the family. */
  prefix: string;
  image: ImageFormula;
  price: Price;
}

export interface ResolvedModel {
  family: ModelFamily;
  /** False when no prefix matched and the gpt-4o figures were assumed. */
  known: boolean;
}

const GPT_4O_TILES: ImageFormula = { kind: 'tiles', base: 85, perTile: 170 };
const O_SERIES_TILES: ImageFormula = { kind: 'tiles', base: 75, perTile: 150 };
/** Also the assumption for a name no prefix matches (an Azure deployment may be called anything). */
const GPT_4O: ModelFamily = { prefix: 'gpt-4o', image: GPT_4O_TILES, price: { inputPerMTok: 2.5, outputPerMTok: 10 } };

const FAMILIES: readonly ModelFamily[] = [
  { prefix: 'gpt-4o-mini', image: { kind: 'tiles', base: 2833, perTile: 5667 }, price: { inputPerMTok: 0.15, outputPerMTok: 0.6 } },
  GPT_4O,
  { prefix: 'gpt-4.1-mini', image: { kind: 'patches', multiplier: 1.62 }, price: { inputPerMTok: 0.4, outputPerMTok: 1.6 } },
  { prefix: 'gpt-4.1-nano', image: { kind: 'patches', multiplier: 2.46 }, price: { inputPerMTok: 0.1, outputPerMTok: 0.4 } },
  { prefix: 'gpt-4.1', image: GPT_4O_TILES, price: { inputPerMTok: 2, outputPerMTok: 8 } },
  { prefix: 'gpt-4.5', image: GPT_4O_TILES, price: { inputPerMTok: 75, outputPerMTok: 150 } },
  { prefix: 'o4-mini', image: { kind: 'patches', multiplier: 1.72 }, price: { inputPerMTok: 1.1, outputPerMTok: 4.4 } },
  { prefix: 'o1', image: O_SERIES_TILES, price: { inputPerMTok: 15, outputPerMTok: 60 } },
  { prefix: 'o3', image: O_SERIES_TILES, price: { inputPerMTok: 2, outputPerMTok: 8 } },
];

/** Longest prefix first, so that `gpt-4o-mini-2024-07-18` never matches `gpt-4o`. */
const BY_PREFIX_LENGTH = [...FAMILIES].sort((a, b) => b.prefix.length - a.prefix.length);

export function resolveModelFamily(model: string): ResolvedModel {
  const name = model.trim().toLowerCase();
  const family = BY_PREFIX_LENGTH.find((candidate) => name.startsWith(candidate.prefix));
  return family === undefined ? { family: GPT_4O, known: false } : { family, known: true };
}

const TILE = 512;
const HIGH_MAX_SIDE = 2048;
const HIGH_SHORT_SIDE = 768;
const LOW_MAX_SIDE = 512;
const PATCH = 32;
const MAX_PATCHES = 1536;

/** Scales so the image fits a `max` x `max` box, keeping the aspect ratio; never enlarges. */
function fitWithin({ width, height }: Size, max: number): Size {
  if (width <= max && height <= max) return { width, height };
  return width >= height
    ? { width: max, height: Math.max(1, Math.floor((height * max) / width)) }
    : { width: Math.max(1, Math.floor((width * max) / height)), height: max };
}

/** Scales so the shorter side is `short`; never enlarges. */
function shortSideTo({ width, height }: Size, short: number): Size {
  if (Math.min(width, height) <= short) return { width, height };
  return width <= height
    ? { width: short, height: Math.floor((height * short) / width) }
    : { width: Math.floor((width * short) / height), height: short };
}

const patchCount = ({ width, height }: Size): number => Math.ceil(width / PATCH) * Math.ceil(height / PATCH);

/**
 * OpenAI's patch algorithm: above 1536 patches, shrink by sqrt(32² * 1536 / area), then shrink again so
 * the width is a whole number of patches (1800x2400 -> 1086x1448 -> 1056x1408 = 33 x 44 = 1452 patches).
 */
function patchFit(size: Size): Size {
  if (patchCount(size) <= MAX_PATCHES) return size;
  const shrink = Math.min(1, Math.sqrt((PATCH * PATCH * MAX_PATCHES) / (size.width * size.height)));
  const width = Math.max(1, Math.floor(size.width * shrink));
  const height = Math.max(1, Math.floor(size.height * shrink));
  const wholePatches = Math.floor(width / PATCH);
  // An image narrower than one patch keeps its width: there is no whole patch to align to.
  if (wholePatches === 0) return { width, height };
  const alignedWidth = wholePatches * PATCH;
  return { width: alignedWidth, height: Math.max(1, Math.floor((height * alignedWidth) / width)) };
}

const isLow = (detail: Detail): boolean => detail === 'low';

/**
 * The size the model will actually look at. Sending more pixels than this costs upload time and buys
 * nothing. `auto` is treated as `high`, the larger of the two.
 */
export function modelImageSize(model: string, detail: Detail, width: number, height: number): Size {
  const { image } = resolveModelFamily(model).family;
  const size = { width, height };
  if (image.kind === 'patches') return patchFit(size);
  if (isLow(detail)) return fitWithin(size, LOW_MAX_SIDE);
  return shortSideTo(fitWithin(size, HIGH_MAX_SIDE), HIGH_SHORT_SIDE);
}

/** Input tokens one image costs. `auto` is estimated as `high` (the conservative figure). */
export function imageTokens(model: string, detail: Detail, width: number, height: number): number {
  const { image } = resolveModelFamily(model).family;
  const seen = modelImageSize(model, detail, width, height);
  if (image.kind === 'patches') return Math.ceil(Math.min(patchCount(seen), MAX_PATCHES) * image.multiplier);
  if (isLow(detail)) return image.base;
  return image.base + image.perTile * Math.ceil(seen.width / TILE) * Math.ceil(seen.height / TILE);
}

/** List price of the model (the gpt-4o price for an unknown name; see `resolveModelFamily`). */
export function modelPrice(model: string): Price {
  return resolveModelFamily(model).family.price;
}

/** Cost of one call in USD; a configured override replaces the list price per direction. */
export function estimateCostUsd(
  model: string,
  promptTokens: number,
  completionTokens: number,
  override: ModelSettings['priceOverride'] = {},
): number {
  const listed = modelPrice(model);
  const inputPerMTok = override.inputPerMTok ?? listed.inputPerMTok;
  const outputPerMTok = override.outputPerMTok ?? listed.outputPerMTok;
  return (promptTokens * inputPerMTok + completionTokens * outputPerMTok) / 1_000_000;
}
