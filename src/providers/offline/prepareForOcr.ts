/**
 * Turns an upload (any format sharp decodes) into the image tesseract reads best. The steps kept by
 * default are the ones that paid off on the evaluation set (`npm run eval`, see eval/README.md);
 * the others stay switchable so the measurement can be repeated.
 */
import sharp from 'sharp';
import { PermanentError } from '../../errors.js';

export interface PreparationSteps {
  /** Stretch the grey levels to the full range (helps grey paper and low-contrast photos). */
  normalise: boolean;
  /** Contrast-limited local equalisation (helps uneven lighting, costs on clean pages). */
  localContrast: boolean;
  /** Median filter against salt-and-pepper noise. */
  denoise: boolean;
  /** Map everything lighter than most of the paper to white (tinted bands, grey paper, sensor noise). */
  whiten: boolean;
  /** Unsharp mask against blur. */
  sharpen: boolean;
  /** Binarise with a global threshold before tesseract's own (Otsu) binarisation. */
  threshold: boolean;
  /** Let tesseract straighten a skew of a few degrees. */
  deskew: boolean;
  /** Upscale when the text OCR found is smaller than this many pixels high (0 = never). */
  minTextHeight: number;
}

export const DEFAULT_STEPS: PreparationSteps = {
  normalise: false,
  localContrast: false,
  denoise: false,
  whiten: true,
  sharpen: false,
  threshold: false,
  deskew: true,
  minTextHeight: 14,
};

/** The upload decoded once: greyscale, upright, on white. */
export interface GreyImage {
  data: Buffer;
  width: number;
  height: number;
}

export interface PreparedImage {
  png: Buffer;
  width: number;
  height: number;
  /** Prepared pixels per source pixel. */
  scale: number;
}

/** Text is read best at 25-35 px cap height; beyond ~16 MP tesseract only gets slower. */
export const MAX_OCR_PIXELS = 16_000_000;

export async function decodeForOcr(bytes: Buffer, steps: PreparationSteps, maxInputPixels: number): Promise<GreyImage> {
  try {
    let image = sharp(bytes, { limitInputPixels: maxInputPixels, failOn: 'error' })
      .autoOrient()
      // Transparent screenshots would otherwise turn black under greyscale.
      .flatten({ background: '#ffffff' })
      .greyscale();
    if (steps.normalise) image = image.normalise({ lower: 1, upper: 99 });
    if (steps.localContrast) image = image.clahe({ width: 64, height: 64, maxSlope: 3 });
    if (steps.denoise) image = image.median(3);
    const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
    if (steps.whiten) whitenPaper(data);
    return { data, width: info.width, height: info.height };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/pixel limit/i.test(message)) {
      throw new PermanentError('image_too_large', `expected an image of at most ${maxInputPixels} pixels for OCR: ${message}`, { cause: error });
    }
    throw new PermanentError('corrupt_image', `expected an image sharp can decode for OCR, but decoding failed: ${message}`, { cause: error });
  }
}

/**
 * The paper's level is the median grey (most of a page is paper). Greys from 85% of it upwards become
 * white; below a knee at 75% of that nothing changes, so grey print stays as dark as it was.
 */
function whitenPaper(data: Buffer): void {
  const histogram = new Uint32Array(256);
  for (const value of data) histogram[value] = (histogram[value] ?? 0) + 1;
  let seen = 0;
  let paper = 255;
  for (let value = 0; value < 256; value++) {
    seen += histogram[value] ?? 0;
    if (seen >= data.length / 2) {
      paper = value;
      break;
    }
  }
  const white = Math.max(64, Math.round(paper * 0.85));
  const knee = Math.round(white * 0.75);
  const levels = Uint8Array.from({ length: 256 }, (_, value) =>
    value <= knee ? value : value >= white ? 255 : Math.round(knee + ((value - knee) * (255 - knee)) / (white - knee)),
  );
  for (let i = 0; i < data.length; i++) data[i] = levels[data[i] ?? 0] ?? 255;
}

/** Renders the decoded page at `scale` (bounded by MAX_OCR_PIXELS) as the PNG tesseract reads. */
export async function renderForOcr(grey: GreyImage, steps: PreparationSteps, requestedScale = 1): Promise<PreparedImage> {
  const pixels = grey.width * grey.height;
  const scale = Math.min(requestedScale, Math.sqrt(MAX_OCR_PIXELS / pixels));
  const width = Math.max(1, Math.round(grey.width * scale));
  const height = Math.max(1, Math.round(grey.height * scale));
  let image = sharp(grey.data, { raw: { width: grey.width, height: grey.height, channels: 1 } });
  if (width !== grey.width) image = image.resize(width, height, { kernel: scale > 1 ? 'cubic' : 'lanczos3' });
  if (steps.sharpen) image = image.sharpen({ sigma: 1 });
  if (steps.threshold) image = image.threshold(160);
  // Fast deflate: the PNG only crosses to the worker thread; size matters less than time.
  const png = await image.png({ compressionLevel: 1 }).toBuffer();
  return { png, width, height, scale: width / grey.width };
}
