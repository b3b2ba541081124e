import { describe, expect, it } from 'vitest';
import { capPixels, renderSize, sizeAtDpi } from '../../src/documents/renderSize.js';
import { imageTokens, modelImageSize } from '../../src/media/imageTokens.js';

const LETTER = { width: 612, height: 792 };
const A4 = { width: 595.28, height: 841.89 };
const model = (renderFor: 'model' | 'ocr', name = 'gpt-4o', detail: 'low' | 'high' | 'auto' = 'high', maxPagePixels = 20_000_000) => ({
  renderFor,
  model: name,
  detail,
  maxPagePixels,
});

describe('renderSize for the model', () => {
  it('renders Letter and A4 at exactly the size gpt-4o keeps at high detail', () => {
    expect(renderSize(LETTER, model('model'))).toEqual({ width: 768, height: 994 });
    expect(renderSize(A4, model('model'))).toEqual({ width: 768, height: 1086 });
    expect(imageTokens('gpt-4o', 'high', 768, 994)).toBe(765);
  });

  it('never renders a pixel the model would throw away', () => {
    for (const page of [LETTER, A4, { width: 1191, height: 842 }, { width: 227, height: 567 }, { width: 2000, height: 300 }]) {
      for (const detail of ['low', 'high'] as const) {
        for (const name of ['gpt-4o', 'gpt-4.1-mini', 'o3']) {
          const size = renderSize(page, model('model', name, detail));
          expect(modelImageSize(name, detail, size.width, size.height), `${name} ${detail} ${JSON.stringify(page)}`).toEqual(size);
        }
      }
    }
  });

  it('takes a small page at 200 dpi before fitting it, so a till roll is not left at 72 dpi', () => {
    // 80 x 200 mm: 226.8 x 566.9 pt.
    expect(renderSize({ width: 226.8, height: 566.9 }, model('model'))).toEqual({ width: 630, height: 1574 });
  });

  it('follows the detail level and the model family', () => {
    expect(renderSize(LETTER, model('model', 'gpt-4o', 'low'))).toEqual({ width: 395, height: 512 });
    expect(renderSize(LETTER, model('model', 'gpt-4o', 'auto'))).toEqual({ width: 768, height: 994 });
    // Patch models: at most 1536 32-px patches.
    expect(renderSize(LETTER, model('model', 'gpt-4.1-mini'))).toEqual({ width: 1088, height: 1407 });
  });
});

describe('renderSize for OCR', () => {
  it('renders at 300 dpi', () => {
    expect(renderSize(LETTER, model('ocr'))).toEqual({ width: 2550, height: 3300 });
  });

  it('scales a page down to MAX_PAGE_PIXELS, keeping its aspect ratio', () => {
    // A0 at 300 dpi would be 9933 x 14043 (139 MP).
    const a0 = renderSize({ width: 2384, height: 3370 }, model('ocr'));
    expect(a0.width * a0.height).toBeLessThanOrEqual(20_000_000);
    expect(a0.width / a0.height).toBeCloseTo(2384 / 3370, 3);
    expect(a0).toEqual({ width: 3761, height: 5317 });
  });
});

describe('sizeAtDpi and capPixels', () => {
  it('never returns less than 1 x 1', () => {
    expect(sizeAtDpi({ width: 0.1, height: 0.1 }, 72, 1000)).toEqual({ width: 1, height: 1 });
  });

  it('leaves an image page within the cap alone and scales a larger one down', () => {
    expect(capPixels({ width: 600, height: 400 }, 1_000_000)).toEqual({ width: 600, height: 400 });
    expect(capPixels({ width: 6000, height: 4000 }, 6_000_000)).toEqual({ width: 3000, height: 2000 });
  });
});
