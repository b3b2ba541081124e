import { describe, expect, it } from 'vitest';
import { estimateCostUsd, imageTokens, modelImageSize, modelPrice, resolveModelFamily } from '../../src/pipeline/imageTokens.js';

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

  it('o1 and o3: 75 + 150 per tile; gpt-4.1 and gpt-4.5 as gpt-4o', () => {
    expect(imageTokens('o1', 'high', 1024, 1024)).toBe(75 + 4 * 150);
    expect(imageTokens('o3-2025-04-16', 'low', 1024, 1024)).toBe(75);
    expect(imageTokens('gpt-4.1', 'high', 1024, 1024)).toBe(765);
    expect(imageTokens('gpt-4.5-preview', 'high', 2048, 4096)).toBe(1105);
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

describe('resolveModelFamily', () => {
  it('matches the longest prefix, case-insensitively', () => {
    expect(resolveModelFamily('gpt-4o-mini-2024-07-18')).toMatchObject({ known: true, family: { prefix: 'gpt-4o-mini' } });
    expect(resolveModelFamily('gpt-4o-2024-08-06')).toMatchObject({ known: true, family: { prefix: 'gpt-4o' } });
    expect(resolveModelFamily('GPT-4.1-nano')).toMatchObject({ known: true, family: { prefix: 'gpt-4.1-nano' } });
    expect(resolveModelFamily('gpt-4.1-2025-04-14')).toMatchObject({ known: true, family: { prefix: 'gpt-4.1' } });
  });

  it('falls back to gpt-4o for an unknown name and says so', () => {
    const resolved = resolveModelFamily('my-vision-deployment');
    expect(resolved.known).toBe(false);
    expect(resolved.family.prefix).toBe('gpt-4o');
    expect(imageTokens('my-vision-deployment', 'high', 1024, 1024)).toBe(765);
  });
});

describe('prices', () => {
  it('lists USD per million tokens', () => {
    expect(modelPrice('gpt-4o')).toEqual({ inputPerMTok: 2.5, outputPerMTok: 10 });
    expect(modelPrice('gpt-4o-mini')).toEqual({ inputPerMTok: 0.15, outputPerMTok: 0.6 });
    expect(modelPrice('gpt-4.1')).toEqual({ inputPerMTok: 2, outputPerMTok: 8 });
    expect(modelPrice('gpt-4.1-mini')).toEqual({ inputPerMTok: 0.4, outputPerMTok: 1.6 });
    expect(modelPrice('gpt-4.1-nano')).toEqual({ inputPerMTok: 0.1, outputPerMTok: 0.4 });
    expect(modelPrice('o4-mini')).toEqual({ inputPerMTok: 1.1, outputPerMTok: 4.4 });
    expect(modelPrice('o1')).toEqual({ inputPerMTok: 15, outputPerMTok: 60 });
    expect(modelPrice('o3')).toEqual({ inputPerMTok: 2, outputPerMTok: 8 });
  });

  it('estimates a call from prompt and completion tokens', () => {
    expect(estimateCostUsd('gpt-4o', 1_000_000, 1_000_000)).toBeCloseTo(12.5, 10);
    expect(estimateCostUsd('gpt-4o-mini', 1000, 500)).toBeCloseTo(0.00045, 12);
  });

  it('an override replaces the list price per direction', () => {
    expect(estimateCostUsd('gpt-4o', 1_000_000, 1_000_000, { inputPerMTok: 1 })).toBeCloseTo(11, 10);
    expect(estimateCostUsd('gpt-4o', 1_000_000, 1_000_000, { outputPerMTok: 0 })).toBeCloseTo(2.5, 10);
    expect(estimateCostUsd('gpt-4o', 2_000_000, 0, { inputPerMTok: 3, outputPerMTok: 5 })).toBeCloseTo(6, 10);
  });
});
