import { describe, expect, it } from 'vitest';
import { MODEL_FAMILIES, estimateCostUsd, modelPrice, resolveModelFamily } from '../../src/models/modelFamilies.js';
import { imageTokens, modelImageSize } from '../../src/media/imageTokens.js';

describe('tile models (OpenAI published examples)', () => {
  it('gpt-4o 1024x1024 high: 768x768, 4 tiles = 765', () => {
    expect(modelImageSize('gpt-4o', 'high', 1024, 1024)).toEqual({ width: 768, height: 768 });
    expect(imageTokens('gpt-4o', 'high', 1024, 1024)).toBe(765);
  });

  it('gpt-4o 2048x4096 high: 768x1536, 6 tiles = 1105', () => {
    expect(modelImageSize('gpt-4o', 'high', 2048, 4096)).toEqual({ width: 768, height: 1536 });
    expect(imageTokens('gpt-4o', 'high', 2048, 4096)).toBe(1105);
  });

  it('gpt-4o 4096x8192 high first fits 2048, then the short side to 768: 1105', () => {
    expect(modelImageSize('gpt-4o', 'high', 4096, 8192)).toEqual({ width: 768, height: 1536 });
    expect(imageTokens('gpt-4o', 'high', 4096, 8192)).toBe(1105);
  });

  it('never upscales: 100x100 high stays 100x100, one tile = 255', () => {
    expect(modelImageSize('gpt-4o', 'high', 100, 100)).toEqual({ width: 100, height: 100 });
    expect(imageTokens('gpt-4o', 'high', 100, 100)).toBe(255);
  });

  it('low detail costs the base whatever the size, and the model sees at most 512x512', () => {
    for (const [w, h] of [
      [1, 1],
      [1024, 1024],
      [4000, 3000],
      [300, 9000],
    ] as const) {
      expect(imageTokens('gpt-4o', 'low', w, h)).toBe(85);
    }
    expect(modelImageSize('gpt-4o', 'low', 4000, 3000)).toEqual({ width: 512, height: 384 });
    expect(modelImageSize('gpt-4o', 'low', 300, 9000)).toEqual({ width: 17, height: 512 });
    expect(modelImageSize('gpt-4o', 'low', 200, 100)).toEqual({ width: 200, height: 100 });
  });

  it('auto is estimated as high', () => {
    expect(imageTokens('gpt-4o', 'auto', 2048, 4096)).toBe(1105);
    expect(modelImageSize('gpt-4o', 'auto', 1024, 1024)).toEqual({ width: 768, height: 768 });
  });

  it('gpt-4o-mini: 2833 + 5667 per tile', () => {
    expect(imageTokens('gpt-4o-mini', 'high', 1024, 1024)).toBe(2833 + 4 * 5667);
    expect(imageTokens('gpt-4o-mini', 'low', 1024, 1024)).toBe(2833);
  });

  it('o1 and o3: 75 + 150 per tile; gpt-4.1 as gpt-4o', () => {
    expect(imageTokens('o1', 'high', 1024, 1024)).toBe(75 + 4 * 150);
    expect(imageTokens('o3-2025-04-16', 'low', 1024, 1024)).toBe(75);
    expect(imageTokens('gpt-4.1', 'high', 1024, 1024)).toBe(765);
    expect(imageTokens('gpt-4.1', 'high', 2048, 4096)).toBe(1105);
  });

  it('a size it returns is already what the model keeps (sending it costs the same tokens)', () => {
    for (const [w, h] of [
      [4032, 3024],
      [1000, 3],
      [2049, 2048],
      [777, 10000],
    ] as const) {
      const seen = modelImageSize('gpt-4o', 'high', w, h);
      expect(modelImageSize('gpt-4o', 'high', seen.width, seen.height)).toEqual(seen);
      expect(imageTokens('gpt-4o', 'high', seen.width, seen.height)).toBe(imageTokens('gpt-4o', 'high', w, h));
    }
  });
});

describe('patch models (OpenAI published examples)', () => {
  it('1024x1024 is 1024 patches, times the model multiplier; detail does not apply', () => {
    expect(modelImageSize('gpt-4.1-mini', 'high', 1024, 1024)).toEqual({ width: 1024, height: 1024 });
    expect(imageTokens('gpt-4.1-mini', 'high', 1024, 1024)).toBe(Math.ceil(1024 * 1.62));
    expect(imageTokens('gpt-4.1-mini', 'low', 1024, 1024)).toBe(Math.ceil(1024 * 1.62));
    expect(imageTokens('gpt-4.1-nano', 'auto', 1024, 1024)).toBe(Math.ceil(1024 * 2.46));
    expect(imageTokens('o4-mini', 'high', 1024, 1024)).toBe(Math.ceil(1024 * 1.72));
  });

  it('1800x2400 is scaled to 1056x1408: 33 x 44 = 1452 patches', () => {
    expect(modelImageSize('gpt-4.1-mini', 'high', 1800, 2400)).toEqual({ width: 1056, height: 1408 });
    expect(imageTokens('gpt-4.1-mini', 'high', 1800, 2400)).toBe(Math.ceil(1452 * 1.62));
    expect(imageTokens('o4-mini-2025-04-16', 'low', 1800, 2400)).toBe(Math.ceil(1452 * 1.72));
  });

  it('never counts more than 1536 patches, even for an image too thin to align to whole patches', () => {
    expect(imageTokens('gpt-4.1-nano', 'high', 10, 100_000)).toBe(Math.ceil(1536 * 2.46));
    expect(modelImageSize('gpt-4.1-nano', 'high', 10, 100_000)).toEqual({ width: 10, height: 100_000 });
  });
});

describe("today's families", () => {
  it('gpt-5 and gpt-5.1: 70 + 140 per tile after the same 2048 / 768 resize (1024x1024 high: 630)', () => {
    expect(modelImageSize('gpt-5.1', 'high', 1024, 1024)).toEqual({ width: 768, height: 768 });
    expect(imageTokens('gpt-5.1', 'high', 1024, 1024)).toBe(630);
    expect(imageTokens('gpt-5.1-2025-11-13', 'high', 2048, 4096)).toBe(70 + 6 * 140);
    expect(imageTokens('gpt-5-2025-08-07', 'high', 1024, 1024)).toBe(630);
    expect(imageTokens('gpt-5.1', 'low', 4000, 3000)).toBe(70);
  });

  it('gpt-5-mini and gpt-5-nano are patch models with their own multipliers, not gpt-5 tiles', () => {
    expect(imageTokens('gpt-5-mini', 'high', 1024, 1024)).toBe(Math.ceil(1024 * 1.62));
    expect(imageTokens('gpt-5-nano-2025-08-07', 'high', 1024, 1024)).toBe(Math.ceil(1024 * 2.46));
  });

  it('gpt-5.4 and gpt-5.5 keep up to 2500 patches; gpt-5.4-mini and -nano stop at 1536', () => {
    // 2000x2000 is 63 x 63 = 3969 patches: above both caps.
    const large = modelImageSize('gpt-5.4', 'high', 2000, 2000);
    const tokens54 = imageTokens('gpt-5.4', 'high', 2000, 2000);
    expect(tokens54).toBeLessThanOrEqual(2500);
    expect(tokens54).toBeGreaterThan(1536);
    expect(Math.ceil(large.width / 32) * Math.ceil(large.height / 32)).toBe(tokens54);
    expect(imageTokens('gpt-5.5', 'high', 2000, 2000)).toBe(tokens54);
    expect(imageTokens('gpt-5.4-mini', 'high', 2000, 2000)).toBeLessThanOrEqual(Math.ceil(1536 * 1.62));
    expect(modelImageSize('gpt-5.4-mini', 'high', 2000, 2000).width).toBeLessThan(large.width);
    expect(imageTokens('gpt-5.4-nano', 'high', 1024, 1024)).toBe(Math.ceil(1024 * 2.46));
  });

  it('low detail does not shrink what a patch model sees or charges', () => {
    for (const model of ['gpt-5-mini', 'gpt-5.2', 'gpt-5.4', 'gpt-5.4-mini', 'gpt-5.5']) {
      expect(imageTokens(model, 'low', 1024, 1024)).toBe(imageTokens(model, 'high', 1024, 1024));
      expect(modelImageSize(model, 'low', 1024, 1024)).toEqual({ width: 1024, height: 1024 });
    }
  });

  it('every family gives a positive estimate on a known size, and the table names each prefix once', () => {
    const prefixes = MODEL_FAMILIES.map((family) => family.prefix);
    expect(new Set(prefixes).size).toBe(prefixes.length);
    for (const { prefix } of MODEL_FAMILIES) {
      expect(resolveModelFamily(`${prefix}-2099-01-01`).family.prefix).toBe(prefix);
      expect(imageTokens(prefix, 'high', 1024, 1024)).toBeGreaterThan(0);
    }
  });
});

describe('resolveModelFamily', () => {
  it('matches the longest prefix, case-insensitively', () => {
    expect(resolveModelFamily('gpt-4o-mini-2024-07-18')).toMatchObject({ known: true, family: { prefix: 'gpt-4o-mini' } });
    expect(resolveModelFamily('gpt-4o-2024-08-06')).toMatchObject({ known: true, family: { prefix: 'gpt-4o' } });
    expect(resolveModelFamily('GPT-4.1-nano')).toMatchObject({ known: true, family: { prefix: 'gpt-4.1-nano' } });
    expect(resolveModelFamily('gpt-4.1-2025-04-14')).toMatchObject({ known: true, family: { prefix: 'gpt-4.1' } });
    expect(resolveModelFamily('gpt-5-mini-2025-08-07')).toMatchObject({ known: true, family: { prefix: 'gpt-5-mini' } });
    expect(resolveModelFamily('gpt-5.4-mini')).toMatchObject({ known: true, family: { prefix: 'gpt-5.4-mini' } });
    expect(resolveModelFamily('gpt-5.1-2025-11-13')).toMatchObject({ known: true, family: { prefix: 'gpt-5.1' } });
  });

  it('falls back to the default model, gpt-5.1, for an unknown name and says so', () => {
    const resolved = resolveModelFamily('my-vision-deployment');
    expect(resolved.known).toBe(false);
    expect(resolved.family.prefix).toBe('gpt-5.1');
    expect(imageTokens('my-vision-deployment', 'high', 1024, 1024)).toBe(630);
  });
});

describe('prices', () => {
  it('lists USD per million tokens, cached input included', () => {
    expect(modelPrice('gpt-4o')).toEqual({ inputPerMTok: 2.5, cachedInputPerMTok: 1.25, outputPerMTok: 10 });
    expect(modelPrice('gpt-4o-mini')).toEqual({ inputPerMTok: 0.15, cachedInputPerMTok: 0.075, outputPerMTok: 0.6 });
    expect(modelPrice('gpt-4.1-mini')).toEqual({ inputPerMTok: 0.4, cachedInputPerMTok: 0.1, outputPerMTok: 1.6 });
    expect(modelPrice('o4-mini')).toEqual({ inputPerMTok: 1.1, cachedInputPerMTok: 0.275, outputPerMTok: 4.4 });
    expect(modelPrice('gpt-5.1')).toEqual({ inputPerMTok: 1.25, cachedInputPerMTok: 0.125, outputPerMTok: 10 });
    expect(modelPrice('gpt-5-mini')).toEqual({ inputPerMTok: 0.25, cachedInputPerMTok: 0.025, outputPerMTok: 2 });
    expect(modelPrice('gpt-5.4-mini')).toEqual({ inputPerMTok: 0.75, cachedInputPerMTok: 0.075, outputPerMTok: 4.5 });
    expect(modelPrice('gpt-5.5')).toEqual({ inputPerMTok: 5, cachedInputPerMTok: 0.5, outputPerMTok: 30 });
  });

  it('estimates a call from prompt, cached and completion tokens', () => {
    expect(estimateCostUsd('gpt-4o', { promptTokens: 1_000_000, completionTokens: 1_000_000 })).toBeCloseTo(12.5, 10);
    expect(estimateCostUsd('gpt-4o-mini', { promptTokens: 1000, completionTokens: 500 })).toBeCloseTo(0.00045, 12);
    // Half the prompt from the cache: 0.5 M at 1.25 + 0.5 M at 0.125.
    expect(estimateCostUsd('gpt-5.1', { promptTokens: 1_000_000, cachedPromptTokens: 500_000, completionTokens: 0 })).toBeCloseTo(
      0.6875,
      10,
    );
  });

  it('an override replaces the list price per direction, the cached input too', () => {
    const million = { promptTokens: 1_000_000, completionTokens: 1_000_000 };
    expect(estimateCostUsd('gpt-4o', million, { inputPerMTok: 1 })).toBeCloseTo(11, 10);
    expect(estimateCostUsd('gpt-4o', million, { outputPerMTok: 0 })).toBeCloseTo(2.5, 10);
    expect(estimateCostUsd('gpt-4o', { promptTokens: 2_000_000, completionTokens: 0 }, { inputPerMTok: 3, outputPerMTok: 5 })).toBeCloseTo(
      6,
      10,
    );
    expect(
      estimateCostUsd('gpt-5.1', { promptTokens: 1_000_000, cachedPromptTokens: 1_000_000, completionTokens: 0 }, { inputPerMTok: 2 }),
    ).toBeCloseTo(2, 10);
  });
});
