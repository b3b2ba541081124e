/**
 * How large a page is rendered. A PDF page has no pixels of its own, so the size is chosen:
 *
 * - For the model, exactly the size the model will look at (`modelImageSize`): a larger rendering is
 *   resized by the service before the model sees it, so its extra pixels cost upload time and buy
 *   nothing. For gpt-4o at high detail an A4 or Letter page becomes 768 px wide (about 90 dpi: 10 pt
 *   text is ~12 px tall, legible to the model); the model's own resize is the limit, not the rendering.
 *   Small pages (receipts, labels) would otherwise be rendered at 72 dpi and left small, so the page is
 *   first taken at MODEL_MAX_DPI and only then fitted to the model: a 80 x 200 mm till roll becomes
 *   630 x 1574 px rather than 226 x 566.
 * - For OCR (the offline provider reads scanned pages), OCR_DPI, the resolution Tesseract is tuned for.
 *
 * Either way a page is never rendered larger than `maxPagePixels` (MAX_PAGE_PIXELS): a poster-sized
 * page is scaled down to fit instead of allocating a canvas of gigabytes.
 */
import type { Detail } from '../profiles/types.js';
import { modelImageSize, type Size } from '../media/imageTokens.js';

/** 10 pt text at 200 dpi is 28 px tall; beyond it the image tokens grow and legibility does not. */
export const MODEL_MAX_DPI = 200;
/** Tesseract's documented sweet spot: below ~20 px capital height its accuracy drops. */
export const OCR_DPI = 300;

export const POINTS_PER_INCH = 72;

/** Who looks at the rendering: the model (its own size) or OCR (high resolution). */
export type RenderFor = 'model' | 'ocr';

export interface RenderSizeOptions {
  renderFor: RenderFor;
  model: string;
  detail: Detail;
  maxPagePixels: number;
}

/** The page at `dpi`, scaled down (keeping its aspect ratio) to at most `maxPixels`; at least 1 x 1. */
export function sizeAtDpi(page: Size, dpi: number, maxPixels: number): Size {
  const scale = dpi / POINTS_PER_INCH;
  const fit = Math.min(1, Math.sqrt(maxPixels / (page.width * scale * page.height * scale)));
  return {
    width: Math.max(1, Math.floor(page.width * scale * fit)),
    height: Math.max(1, Math.floor(page.height * scale * fit)),
  };
}

/** Pixel size to render a page of `page` points (upright, after /Rotate) at. */
export function renderSize(page: Size, { renderFor, model, detail, maxPagePixels }: RenderSizeOptions): Size {
  if (renderFor === 'ocr') return sizeAtDpi(page, OCR_DPI, maxPagePixels);
  const large = sizeAtDpi(page, MODEL_MAX_DPI, maxPagePixels);
  return modelImageSize(model, detail, large.width, large.height);
}

/** Scales an image page (a TIFF page, already pixels) down to at most `maxPixels`; never enlarges. */
export function capPixels(page: Size, maxPixels: number): Size {
  return sizeAtDpi(page, POINTS_PER_INCH, maxPixels);
}
