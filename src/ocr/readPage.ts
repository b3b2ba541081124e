/**
 * One page read by OCR: decode and prepare once, read, and read again only when the first reading
 * shows why it went wrong: the page is not upright (tesseract's orientation detection), or the text
 * is too small for tesseract (low-resolution scans, small print), or its print falls apart into dots
 * (a softened reading). At most four readings.
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

/** The softened reading: up to twice the size (text towards TARGET_TEXT_HEIGHT), blurred by 1.5 rendered pixels. */
const SOFTEN_SCALE = 2;
const SOFTEN_SIGMA = 1.5;

/** Words read with confidence: of two readings of a page, the one with more of them is better. */
const trustedWords = (page: OcrPage): number => pageWords(page).filter((word) => word.confidence >= 0.7).length;

interface Reading {
  page: OcrPage;
  grey: GreyImage;
  image: PreparedImage;
  rotated: PageReading['rotated'];
  /** Blur at SOFTEN_SCALE, 0 for a sharp reading. */
  softness: number;
}

export async function readPage(
  pool: OcrPool,
  bytes: Buffer,
  steps: PreparationSteps,
  maxInputPixels: number,
  jobOptions: JobOptions = {},
): Promise<PageReading> {
  return pool.session(async (ocr) => {
    const read = async (grey: GreyImage, rotated: Reading['rotated'], scale = 1, softness = 0): Promise<Reading> => {
      // Softness is stated at twice the size: it scales with the rendering.
      const sigma = softness === 0 ? 0 : (softness * scale) / SOFTEN_SCALE;
      const image = await renderForOcr(grey, scale, sigma);
      return { page: await ocr.recognize(image.png, { deskew: steps.deskew }), grey, image, rotated, softness };
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

    // Dot-matrix and faint till print: whitening erases its grey dots and a sharp reading sees specks.
    // Decoded as printed and softened, the dots join into strokes. Before any upscaling: a page read
    // poorly costs tesseract most, and this reading often makes the upscaled one unnecessary.
    if (steps.soften && best.page.confidence < POOR_CONFIDENCE) {
      const textHeight = medianWordHeight(best.page) / best.image.scale;
      const scale = textHeight > 0 ? Math.min(SOFTEN_SCALE, Math.max(1, TARGET_TEXT_HEIGHT / textHeight)) : SOFTEN_SCALE;
      const asPrinted = steps.whiten ? await decodeForOcr(bytes, { ...steps, whiten: false }, maxInputPixels) : decoded;
      const upright = best.rotated === 0 ? asPrinted : await rotateGrey(asPrinted, best.rotated);
      best = better(best, await read(upright, best.rotated, scale, SOFTEN_SIGMA));
      passes++;
    }

    if (steps.minTextHeight > 0) {
      // In pixels of the decoded page, whichever reading (and scale) is the best so far.
      const textHeight = medianWordHeight(best.page) / best.image.scale;
      const small = best.grey.width * best.grey.height <= BLIND_UPSCALE_MAX_PIXELS;
      const upscale =
        textHeight > 0 && textHeight < steps.minTextHeight
          ? Math.min(MAX_UPSCALE, TARGET_TEXT_HEIGHT / textHeight)
          : (textHeight === 0 || best.page.confidence < POOR_CONFIDENCE) && small
            ? BLIND_UPSCALE
            : 1;
      if (boundedScale(best.grey, upscale) > 1.1 && upscale > best.image.scale * 1.1) {
        best = better(best, await read(best.grey, best.rotated, upscale, best.softness));
        passes++;
      }
    }
    return { page: best.page, rotated: best.rotated, scale: best.image.scale, passes };
  }, jobOptions);
}
