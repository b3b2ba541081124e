/**
 * One page read by OCR: decode and prepare once, read, and read again only when the first reading
 * shows why it went wrong: the page is not upright (tesseract's orientation detection), or the text
 * is too small for tesseract (low-resolution scans, small print). At most three readings.
 */
import type { OcrPage } from './ocrPage.js';
import { medianWordHeight, pageWords } from './ocrPage.js';
import type { JobOptions, OcrPool } from './ocrPool.js';
import type { GreyImage, PreparationSteps, PreparedImage } from './prepareForOcr.js';
import { boundedScale, decodeForOcr, renderForOcr, rotateGrey } from './prepareForOcr.js';

export interface PageReading {
  page: OcrPage;
  /** Clockwise turn applied before the reading kept. */
  rotated: 0 | 90 | 180 | 270;
  /** Pixels of the image OCR read per pixel of the (upright) upload. */
  scale: number;
  passes: number;
}

/** Text this many pixels high (median word box, ascenders included) is what a larger reading aims for. */
const TARGET_TEXT_HEIGHT = 32;
const MAX_UPSCALE = 4;
/** A first reading this unsure is usually of a page on its side or of text too small to segment. */
const POOR_CONFIDENCE = 0.6;
/** When nothing was read with confidence, small images are read again this much larger. */
const BLIND_UPSCALE = 2.5;
const BLIND_UPSCALE_MAX_PIXELS = 1_500_000;

/** Words read with confidence: of two readings of a page, the one with more of them is better. */
const trustedWords = (page: OcrPage): number => pageWords(page).filter((word) => word.confidence >= 0.7).length;

interface Reading {
  page: OcrPage;
  grey: GreyImage;
  image: PreparedImage;
  rotated: PageReading['rotated'];
}

export async function readPage(
  pool: OcrPool,
  bytes: Buffer,
  steps: PreparationSteps,
  maxInputPixels: number,
  jobOptions: JobOptions = {},
): Promise<PageReading> {
  return pool.session(async (ocr) => {
    const read = async (grey: GreyImage, rotated: Reading['rotated'], scale = 1): Promise<Reading> => {
      const image = await renderForOcr(grey, scale);
      return { page: await ocr.recognize(image.png, { deskew: steps.deskew }), grey, image, rotated };
    };
    const better = (a: Reading, b: Reading): Reading => (trustedWords(b.page) > trustedWords(a.page) ? b : a);

    // Decoded once a worker is free: jobs waiting for OCR hold their compressed bytes, not their pixels.
    const decoded = await decodeForOcr(bytes, steps, maxInputPixels);
    let best = await read(decoded, 0);
    let passes = 1;

    if (steps.orientation && best.page.confidence < POOR_CONFIDENCE) {
      const { degrees } = await ocr.detectOrientation(best.image.png);
      if (degrees !== 0) {
        best = better(best, await read(await rotateGrey(decoded, degrees), degrees));
        passes++;
      }
    }

    if (steps.minTextHeight > 0) {
      const textHeight = medianWordHeight(best.page);
      const small = best.grey.width * best.grey.height <= BLIND_UPSCALE_MAX_PIXELS;
      const upscale =
        textHeight > 0 && textHeight < steps.minTextHeight
          ? Math.min(MAX_UPSCALE, TARGET_TEXT_HEIGHT / textHeight)
          : (textHeight === 0 || best.page.confidence < POOR_CONFIDENCE) && small
            ? BLIND_UPSCALE
            : 1;
      if (boundedScale(best.grey, upscale) > 1.1) {
        best = better(best, await read(best.grey, best.rotated, upscale));
        passes++;
      }
    }
    return { page: best.page, rotated: best.rotated, scale: best.image.scale, passes };
  }, jobOptions);
}
