/**
 * Turns an upload (any format sharp decodes) into the image tesseract reads best: upright by EXIF,
 * greyscale on white, paper whitened, scaled. Only steps that paid off on the evaluation set are here;
 * normalise, CLAHE, median denoise, sharpen and a global threshold were measured and lost (numbers in
 * eval/README.md). The kept steps stay switchable so `npm run eval -- --steps ...` can re-measure them.
 */
import sharp from 'sharp';
import { PermanentError } from '../errors.js';

export interface PreparationSteps {
  /** Map everything lighter than most of the paper to white (tinted bands, grey paper, sensor noise). */
  whiten: boolean;
  /** Let tesseract straighten a skew of a few degrees. */
  deskew: boolean;
  /** Read again larger when the text found is smaller than this many pixels high (0 = never). */
  minTextHeight: number;
  /** Ask tesseract which way up a badly read page is, and read it again turned upright. */
  orientation: boolean;
  /** Read at most this many pixels, scaled down to fit (0 = as uploaded). */
  maxPixels: number;
  /** Read a page that still reads poorly once more, larger and softened (dot-matrix print). */
  soften: boolean;
}

export const DEFAULT_STEPS: PreparationSteps = {
  whiten: true,
  deskew: true,
  minTextHeight: 12,
  orientation: true,
  maxPixels: 0,
  soften: true,
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
  /** Prepared pixels per decoded pixel. */
  scale: number;
}

/** Beyond ~16 MP tesseract only gets slower; this also bounds the memory a page takes. */
const MAX_OCR_PIXELS = 16_000_000;

export async function decodeForOcr(bytes: Buffer, steps: PreparationSteps, maxInputPixels: number): Promise<GreyImage> {
  try {
    const image = sharp(bytes, { limitInputPixels: maxInputPixels, failOn: 'error', pages: 1 }).autoOrient();
    if (steps.maxPixels > 0) {
      const { width = 0, height = 0, orientation = 1 } = await image.metadata();
      const scale = Math.sqrt(steps.maxPixels / Math.max(1, width * height));
      // EXIF orientations 5-8 turn the image a quarter: the upright size is the stored one swapped.
      const [uprightWidth, uprightHeight] = orientation >= 5 ? [height, width] : [width, height];
      if (scale < 1)
        image.resize(Math.max(1, Math.floor(uprightWidth * scale)), Math.max(1, Math.floor(uprightHeight * scale)), { fit: 'inside' });
    }
    const { data, info } = await image
      // Transparent screenshots would otherwise turn black under greyscale.
      .flatten({ background: '#ffffff' })
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (steps.whiten) whitenPaper(data);
    return { data, width: info.width, height: info.height };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/pixel limit/i.test(message)) {
      throw new PermanentError('image_too_large', `expected an image of at most ${maxInputPixels} pixels for OCR: ${message}`, {
        cause: error,
      });
    }
    throw new PermanentError('corrupt_image', `expected an image sharp can decode for OCR, but decoding failed: ${message}`, {
      cause: error,
    });
  }
}

/**
 * The paper's level is the median grey (most of a page is paper). Greys from 85% of it upwards become
 * white; below a knee at 75% of that nothing changes, so faint grey print stays as dark as it was.
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

/** The decoded page turned clockwise by a multiple of 90 degrees. */
export async function rotateGrey(grey: GreyImage, degrees: 90 | 180 | 270): Promise<GreyImage> {
  const { data, info } = await sharp(grey.data, { raw: { width: grey.width, height: grey.height, channels: 1 } })
    .rotate(degrees)
    // Raw single-channel input comes out as sRGB unless asked otherwise.
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** The scale a page is rendered at when `requested`: never beyond MAX_OCR_PIXELS. */
export const boundedScale = (grey: GreyImage, requested: number): number =>
  Math.min(requested, Math.sqrt(MAX_OCR_PIXELS / (grey.width * grey.height)));

/**
 * Renders the decoded page at `requestedScale` (bounded, see `boundedScale`) as the PNG tesseract reads,
 * blurred by `softness` (a Gaussian sigma in rendered pixels, 0 = sharp).
 */
export async function renderForOcr(grey: GreyImage, requestedScale = 1, softness = 0): Promise<PreparedImage> {
  const scale = boundedScale(grey, requestedScale);
  const width = Math.max(1, Math.round(grey.width * scale));
  const height = Math.max(1, Math.round(grey.height * scale));
  let image = sharp(grey.data, { raw: { width: grey.width, height: grey.height, channels: 1 } });
  if (width !== grey.width) image = image.resize(width, height, { kernel: scale > 1 ? 'cubic' : 'lanczos3' });
  if (softness > 0) image = image.blur(softness);
  // Fast deflate: the PNG only crosses to the worker thread, so time matters more than size.
  const png = await image.png({ compressionLevel: 1 }).toBuffer();
  return { png, width, height, scale: width / grey.width };
}
