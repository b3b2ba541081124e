/**
 * Facts the offline provider can state without a model: format, size, dominant colours and a guess at
 * the kind of image from a few pixel statistics that a reader can check by eye.
 */
import sharp from 'sharp';
import type { PreparedImage, SourceImage } from '../../media/imageTypes.js';

export type ImageKind = 'photo' | 'document' | 'screenshot' | 'chart';

/** Shares of the thumbnail's pixels, 0..1. */
export interface PixelMeasures {
  /** Every channel >= 230: paper, page and window backgrounds. */
  nearWhite: number;
  /** Equal (within 4 levels) to the pixel on the right: synthetic images are mostly flat, photos are not. */
  flat: number;
  /** Flat and not near-white: bars, buttons, filled panels. */
  solidFill: number;
  /** Flat and saturated: the filled series of a chart. */
  colourfulFill: number;
}

export interface ImageFacts {
  /** The upload's format, e.g. `jpeg`. */
  format: string;
  /** Upright size of the upload. */
  width: number;
  height: number;
  shape: 'landscape' | 'portrait' | 'square';
  /** EXIF orientation of the upload, already applied to `width` and `height`. */
  exifOrientation?: number;
  /** Up to five, most common first, as #rrggbb. */
  dominantColors: string[];
  kind: ImageKind;
  /** Why `kind` was chosen, in words. */
  kindReason: string;
  measures: PixelMeasures;
}

/** Large enough to keep text strokes and UI edges apart, small enough to scan in a millisecond or two. */
const THUMBNAIL = 256;
const NEAR_WHITE = 230;
const FLAT_TOLERANCE = 4;
const SATURATED = 0.5;
/** Colours are counted in bins of 32 levels per channel, so shades of one colour count together. */
const BIN_SHIFT = 5;
const MAX_COLOURS = 5;
const MIN_COLOUR_SHARE = 0.01;

interface Pixels {
  data: Buffer;
  width: number;
  height: number;
}

async function thumbnail(image: PreparedImage): Promise<Pixels> {
  const { data, info } = await sharp(image.bytes, { limitInputPixels: image.width * image.height, failOn: 'error' })
    .resize(THUMBNAIL, THUMBNAIL, { fit: 'inside', withoutEnlargement: true })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

const at = (data: Buffer, i: number): [number, number, number] => [data[i] ?? 0, data[i + 1] ?? 0, data[i + 2] ?? 0];

function measure({ data, width, height }: Pixels): PixelMeasures {
  let nearWhite = 0;
  let flat = 0;
  let solidFill = 0;
  let colourfulFill = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const [r, g, b] = at(data, i);
      const max = Math.max(r, g, b);
      const min = Math.min(r, g, b);
      const white = min >= NEAR_WHITE;
      if (white) nearWhite++;
      if (x + 1 === width) continue;
      const [r2, g2, b2] = at(data, i + 3);
      if (Math.max(Math.abs(r - r2), Math.abs(g - g2), Math.abs(b - b2)) > FLAT_TOLERANCE) continue;
      flat++;
      if (!white) solidFill++;
      if (max > 0 && (max - min) / max >= SATURATED) colourfulFill++;
    }
  }
  const total = width * height;
  return { nearWhite: nearWhite / total, flat: flat / total, solidFill: solidFill / total, colourfulFill: colourfulFill / total };
}

const percent = (share: number): string => `${Math.round(share * 100)}%`;

/**
 * Thresholds from the fixtures (measured: invoice nearWhite 0.93 / solidFill 0.01, screenshot flat 0.92
 * / solidFill 0.11, chart colourfulFill 0.21, photos flat 0.23-0.37): first match wins.
 */
function classify(m: PixelMeasures): { kind: ImageKind; reason: string } {
  if (m.flat < 0.6) {
    return { kind: 'photo', reason: `only ${percent(m.flat)} of neighbouring pixels are equal, so it is textured throughout` };
  }
  if (m.nearWhite >= 0.5 && m.colourfulFill >= 0.1) {
    return { kind: 'chart', reason: `${percent(m.colourfulFill)} is flat saturated colour on a mostly white ground` };
  }
  if (m.nearWhite >= 0.75 && m.solidFill < 0.05) {
    return { kind: 'document', reason: `${percent(m.nearWhite)} is near-white with almost no filled areas, like text on paper` };
  }
  return { kind: 'screenshot', reason: `${percent(m.flat)} is flat, with ${percent(m.solidFill)} in filled areas, like a user interface` };
}

const hex = (value: number): string => Math.round(value).toString(16).padStart(2, '0');

function dominantColors({ data, width, height }: Pixels): string[] {
  const bins = new Map<number, { count: number; r: number; g: number; b: number }>();
  for (let i = 0; i < width * height * 3; i += 3) {
    const [r, g, b] = at(data, i);
    const key = ((r >> BIN_SHIFT) << 6) | ((g >> BIN_SHIFT) << 3) | (b >> BIN_SHIFT);
    const bin = bins.get(key) ?? { count: 0, r: 0, g: 0, b: 0 };
    bin.count++;
    bin.r += r;
    bin.g += g;
    bin.b += b;
    bins.set(key, bin);
  }
  return [...bins.values()]
    .filter((bin) => bin.count >= width * height * MIN_COLOUR_SHARE)
    .sort((a, b) => b.count - a.count)
    .slice(0, MAX_COLOURS)
    .map((bin) => `#${hex(bin.r / bin.count)}${hex(bin.g / bin.count)}${hex(bin.b / bin.count)}`);
}

export async function imageFacts(image: PreparedImage, source: SourceImage): Promise<ImageFacts> {
  const pixels = await thumbnail(image);
  const measures = measure(pixels);
  const { kind, reason } = classify(measures);
  const { width, height } = source;
  return {
    format: source.mime.replace(/^image\//, ''),
    width,
    height,
    shape: width === height ? 'square' : width > height ? 'landscape' : 'portrait',
    ...(source.orientation === undefined ? {} : { exifOrientation: source.orientation }),
    dominantColors: dominantColors(pixels),
    kind,
    kindReason: reason,
    measures,
  };
}
