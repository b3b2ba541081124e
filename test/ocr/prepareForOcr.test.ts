/** Decoding for OCR: the pixel cap a photo is read under keeps the upright shape. */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STEPS, decodeForOcr } from '../../src/ocr/prepareForOcr.js';

describe('decodeForOcr', () => {
  it('scales an image down to maxPixels, upright, and leaves smaller ones and maxPixels 0 alone', async () => {
    // Stored 2000x1000 with EXIF orientation 6: upright it is 1000x2000.
    const turned = await sharp({ create: { width: 2000, height: 1000, channels: 3, background: '#888' } })
      .withMetadata({ orientation: 6 })
      .jpeg()
      .toBuffer();
    const capped = await decodeForOcr(turned, { ...DEFAULT_STEPS, maxPixels: 500_000 }, 1e8);
    expect(capped.width * capped.height).toBeLessThanOrEqual(500_000);
    expect(capped.width * capped.height).toBeGreaterThan(480_000);
    expect(capped.height).toBeGreaterThan(capped.width);
    const whole = await decodeForOcr(turned, DEFAULT_STEPS, 1e8);
    expect([whole.width, whole.height]).toEqual([1000, 2000]);
    const small = await decodeForOcr(turned, { ...DEFAULT_STEPS, maxPixels: 5_000_000 }, 1e8);
    expect([small.width, small.height]).toEqual([1000, 2000]);
  });
});
