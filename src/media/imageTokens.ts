/**
 * Image geometry per model family: the size a model actually looks at and the input tokens an image
 * costs, after OpenAI's "Images and vision" guide. The figures per family are in src/models/modelFamilies.ts.
 */
import { resolveModelFamily } from '../models/modelFamilies.js';
import type { Detail } from '../profiles/types.js';

export interface Size {
  width: number;
  height: number;
}

const TILE = 512;
const HIGH_MAX_SIDE = 2048;
const HIGH_SHORT_SIDE = 768;
const LOW_MAX_SIDE = 512;
const PATCH = 32;

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
 * OpenAI's patch algorithm: above the cap (1536 patches for most), shrink by sqrt(32² * cap / area), then
 * shrink again so the width is a whole number of patches (1800x2400 -> 1086x1448 -> 1056x1408 = 33 x 44 = 1452).
 */
function patchFit(size: Size, maxPatches: number): Size {
  if (patchCount(size) <= maxPatches) return size;
  const shrink = Math.min(1, Math.sqrt((PATCH * PATCH * maxPatches) / (size.width * size.height)));
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
  if (image.kind === 'patches') return patchFit(size, image.maxPatches);
  if (isLow(detail)) return fitWithin(size, LOW_MAX_SIDE);
  return shortSideTo(fitWithin(size, HIGH_MAX_SIDE), HIGH_SHORT_SIDE);
}

/** Input tokens one image costs. `auto` is estimated as `high` (the conservative figure). */
export function imageTokens(model: string, detail: Detail, width: number, height: number): number {
  const { image } = resolveModelFamily(model).family;
  const seen = modelImageSize(model, detail, width, height);
  if (image.kind === 'patches') return Math.ceil(Math.min(patchCount(seen), image.maxPatches) * image.multiplier);
  if (isLow(detail)) return image.base;
  return image.base + image.perTile * Math.ceil(seen.width / TILE) * Math.ceil(seen.height / TILE);
}
