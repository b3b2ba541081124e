/**
 * Facts the offline provider can state without a model: format, size, dominant colours, the pixel
 * statistics (flat areas, ink, line structure) and the kind of image they suggest without OCR.
 */
import sharp from 'sharp';
import type { PreparedImage, SourceImage } from '../../media/imageTypes.js';
import { classifyKind, type ImageKind, type PixelMeasures } from './classifyImage.js';

export type { ImageKind, PixelMeasures } from './classifyImage.js';

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

function measure({ data, width, height }: Pixels): Omit<PixelMeasures, 'ink' | 'curvedStrokes' | 'boxes'> {
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

/** Line structure is looked for at this size: a 1-px line of a 1000-px drawing still shows as ink. */
const STRUCTURE_SIZE = 384;
const INK_CONTRAST = 48;
/** A line is at most this thick; a fill is at least FILL thick both ways. */
const THIN = 3;
/** A curved or diagonal stroke continues this many pixels from pixel to diagonal neighbour. */
const STROKE_LENGTH = 10;
const CORNER_SLACK = 4;

interface Segment {
  from: number;
  to: number;
  at: number;
}

/** Runs of `marked` along rows (`across`) or columns, each at least `min` long. */
function runs(marked: (x: number, y: number) => boolean, width: number, height: number, across: boolean, min: number): Segment[] {
  const found: Segment[] = [];
  const [outer, inner] = across ? [height, width] : [width, height];
  for (let o = 0; o < outer; o++) {
    let start = -1;
    for (let i = 0; i <= inner; i++) {
      const on = i < inner && (across ? marked(i, o) : marked(o, i));
      if (on && start < 0) start = i;
      if (!on && start >= 0) {
        if (i - start >= min) found.push({ from: start, to: i - 1, at: o });
        start = -1;
      }
    }
  }
  return found;
}

/** Run lengths through each pixel of `ink`, along rows (`across`) or columns. */
function runLengths(ink: Uint8Array, width: number, height: number, across: boolean): Uint16Array {
  const lengths = new Uint16Array(width * height);
  const index = across ? (i: number, o: number) => o * width + i : (i: number, o: number) => i * width + o;
  for (const run of runs((x, y) => ink[y * width + x] === 1, width, height, across, 1)) {
    for (let i = run.from; i <= run.to; i++) lengths[index(i, run.at)] = run.to - run.from + 1;
  }
  return lengths;
}

/** How long a thin stroke continues from pixel `i` towards one diagonal, a step aside allowed. */
function strokeLength(ink: Uint8Array, i: number, step: number): number {
  let at = i;
  for (let length = 0; length < STROKE_LENGTH; length++) {
    const next = [at + step, at + step + 1, at + step - 1].find((k) => ink[k] === 1);
    if (next === undefined) return length;
    at = next;
  }
  return STROKE_LENGTH;
}

async function structure(image: PreparedImage): Promise<Pick<PixelMeasures, 'ink' | 'curvedStrokes' | 'boxes'>> {
  const { data, info } = await sharp(image.bytes, { limitInputPixels: image.width * image.height, failOn: 'error' })
    .flatten({ background: '#ffffff' })
    .resize(STRUCTURE_SIZE, STRUCTURE_SIZE, { fit: 'inside', withoutEnlargement: true })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height, channels } = info;
  const total = width * height;
  const grey = (i: number): number => data[i * channels] ?? 0;
  // The background is the most common grey level (in bins of 8): white paper, a grey panel or a dark theme.
  const bins = new Array<number>(32).fill(0);
  for (let i = 0; i < total; i++) bins[grey(i) >> 3] = (bins[grey(i) >> 3] ?? 0) + 1;
  const bin = bins.indexOf(Math.max(...bins));
  let sum = 0;
  let count = 0;
  for (let i = 0; i < total; i++) {
    if (grey(i) >> 3 !== bin) continue;
    sum += grey(i);
    count++;
  }
  const background = sum / Math.max(count, 1);
  const ink = new Uint8Array(total);
  let inked = 0;
  for (let i = 0; i < total; i++) {
    if (Math.abs(grey(i) - background) <= INK_CONTRAST) continue;
    ink[i] = 1;
    inked++;
  }
  const across = runLengths(ink, width, height, true);
  const down = runLengths(ink, width, height, false);
  const minAcross = Math.max(8, width * 0.04);
  const minDown = Math.max(8, height * 0.04);
  const horizontal = (x: number, y: number): boolean => (across[y * width + x] ?? 0) >= minAcross && (down[y * width + x] ?? 0) <= THIN;
  const vertical = (x: number, y: number): boolean => (down[y * width + x] ?? 0) >= minDown && (across[y * width + x] ?? 0) <= THIN;
  let curved = 0;
  for (let i = 0; i < total; i++) {
    if (ink[i] !== 1 || (across[i] ?? 0) > THIN || (down[i] ?? 0) > THIN) continue;
    if (Math.max(strokeLength(ink, i, width + 1), strokeLength(ink, i, width - 1)) >= STROKE_LENGTH) curved++;
  }
  const rows = runs(horizontal, width, height, true, minAcross);
  const columns = runs(vertical, width, height, false, minDown);
  const meets = (x: number, y: number): boolean =>
    columns.some((c) => Math.abs(c.at - x) <= CORNER_SLACK && c.from - CORNER_SLACK <= y && c.to + CORNER_SLACK >= y);
  // A box edge: a line shorter than half the picture (page rules and axes are longer) with a vertical line at each end.
  const edges = rows.filter((row) => row.to - row.from < width / 2 && meets(row.from, row.at) && meets(row.to, row.at));
  // The top and bottom edge of a box, or one edge drawn 2 px thick, count once per line within 2 px.
  const boxes = edges.filter(
    (edge, i) =>
      !edges.slice(0, i).some((e) => Math.abs(e.at - edge.at) <= 2 && Math.abs(e.from - edge.from) <= 3 && Math.abs(e.to - edge.to) <= 3),
  ).length;
  return { ink: inked / total, curvedStrokes: curved / total, boxes };
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
  const measures: PixelMeasures = { ...measure(pixels), ...(await structure(image)) };
  const { width, height } = source;
  const { kind, reason } = classifyKind(measures, { width, height });
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
