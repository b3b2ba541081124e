/**
 * One page read by OCR: decode and prepare once, read, and read again larger when the text turned
 * out too small for tesseract (low-resolution scans and photos of small print).
 */
import type { OcrPage } from './ocrPage.js';
import { medianWordHeight, pageWords } from './ocrPage.js';
import type { OcrPool } from './ocrPool.js';
import type { PreparationSteps } from './prepareForOcr.js';
import { decodeForOcr, renderForOcr } from './prepareForOcr.js';

export interface PageReading {
  page: OcrPage;
  /** Pixels of the image OCR read per pixel of the upload. */
  scale: number;
  passes: number;
}

/** Text this many pixels high (median word box, ascenders included) is what the second pass aims for. */
const TARGET_TEXT_HEIGHT = 32;
const MAX_UPSCALE = 4;
/** When the first pass read nothing it can trust, text too small to segment is the usual cause. */
const BLIND_UPSCALE = 2.5;

/** Words read with confidence: a page that yields more of them was read better. */
const trustedWords = (page: OcrPage): number => pageWords(page).filter((word) => word.confidence >= 0.7).length;

export async function readPage(pool: OcrPool, bytes: Buffer, steps: PreparationSteps, maxInputPixels: number, signal?: AbortSignal): Promise<PageReading> {
  const grey = await decodeForOcr(bytes, steps, maxInputPixels);
  const first = await renderForOcr(grey, steps);
  const recognizeOptions = { deskew: steps.deskew, ...(signal === undefined ? {} : { signal }) };
  const page = await pool.recognize(first.png, recognizeOptions);
  if (steps.minTextHeight === 0) return { page, scale: first.scale, passes: 1 };
  const textHeight = medianWordHeight(page);
  const upscale = textHeight === 0 || page.confidence < 0.5 ? BLIND_UPSCALE : textHeight < steps.minTextHeight ? Math.min(MAX_UPSCALE, TARGET_TEXT_HEIGHT / textHeight) : 1;
  if (upscale <= 1.1) return { page, scale: first.scale, passes: 1 };
  const larger = await renderForOcr(grey, steps, first.scale * upscale);
  if (larger.scale <= first.scale * 1.1) return { page, scale: first.scale, passes: 1 };
  const second = await pool.recognize(larger.png, recognizeOptions);
  return trustedWords(second) >= trustedWords(page) ? { page: second, scale: larger.scale, passes: 2 } : { page, scale: first.scale, passes: 2 };
}
