/**
 * What kind of picture an upload is, from cheap pixel statistics and, when OCR ran, the words it read.
 * `classifyKind` decides the offline `describe` answer's `image_type`: textured throughout is a photo;
 * boxes outlined by thin lines, or long thin curved connectors, are a diagram; flat saturated fills on
 * white, or a few mostly numeric labels (tick marks) on white, are a chart; sparse ink on paper is a
 * document (a receipt when the page is at least 1.8 times as tall as wide); anything else is a screenshot.
 * A heuristic stated with its reason, not a classifier to rely on (measured figures: docs/offline.md).
 * `imageStats` is a cheaper look that tells the OCR reader whether a picture is a photo (less OCR).
 */
import sharp from 'sharp';

export type ImageKind = 'document' | 'receipt' | 'screenshot' | 'chart' | 'diagram' | 'photo';

/** Shares of the thumbnail's pixels, 0..1, and counts of the line structure found in it. */
export interface PixelMeasures {
  /** Every channel >= 230: paper, page and window backgrounds. */
  nearWhite: number;
  /** Equal (within 4 levels) to the pixel on the right: synthetic images are mostly flat, photos are not. */
  flat: number;
  /** Flat and not near-white: bars, buttons, filled panels. */
  solidFill: number;
  /** Flat and saturated: the filled series of a chart. */
  colourfulFill: number;
  /** Pixels that differ from the background (the most common grey level) by more than 48 levels. */
  ink: number;
  /** Ink in thin (at most 3 px) diagonal or curved strokes at least 10 px long: connectors, graph edges. */
  curvedStrokes: number;
  /** Thin horizontal lines whose two ends each meet a thin vertical line: outlined boxes. */
  boxes: number;
}

/** What OCR read, counted: words of two or more letters or digits, and those that are numbers. */
export interface TextCounts {
  words: number;
  numeric: number;
}

export function textCounts(text: string): TextCounts {
  const words = text.split(/\s+/).filter((word) => /[\p{L}\p{N}]{2}/u.test(word));
  return { words: words.length, numeric: words.filter((word) => /^[^\p{L}]*\d[^\p{L}]*$/u.test(word)).length };
}

const percent = (share: number): string => `${Math.round(share * 100)}%`;

/** Boxes are counted at 384 px: three or more outlined boxes are a diagram (no screenshot measured had one). */
const MIN_BOXES = 3;
/** Measured: 1.3% on a graph with curved edges; 0.0-0.3% on charts, screenshots and documents. */
const MIN_CURVED_STROKES = 0.008;
const RECEIPT_ASPECT = 1.8;

/**
 * Thresholds from the fixtures and the third-party images of docs/offline.md; first match wins.
 * `text` is absent when no OCR ran (comparisons, pages read from their text layer).
 */
export function classifyKind(
  m: PixelMeasures,
  size: { width: number; height: number },
  text?: TextCounts,
): { kind: ImageKind; reason: string } {
  if (m.flat < 0.6) {
    return { kind: 'photo', reason: `only ${percent(m.flat)} of neighbouring pixels are equal, so it is textured throughout` };
  }
  if (m.boxes >= MIN_BOXES) {
    return { kind: 'diagram', reason: `${m.boxes} boxes are outlined by thin lines` };
  }
  if (m.curvedStrokes >= MIN_CURVED_STROKES && m.ink < 0.15) {
    return { kind: 'diagram', reason: `${percent(m.curvedStrokes)} is thin curved or diagonal strokes, like connectors between nodes` };
  }
  if (m.nearWhite >= 0.5 && m.colourfulFill >= 0.1) {
    return { kind: 'chart', reason: `${percent(m.colourfulFill)} is flat saturated colour on a mostly white ground` };
  }
  if (text !== undefined && m.nearWhite >= 0.5 && text.numeric >= 3 && text.words < 40 && text.numeric / text.words >= 0.25) {
    return {
      kind: 'chart',
      reason: `${text.numeric} of the ${text.words} words read are numbers, like axis labels, on a mostly white ground`,
    };
  }
  if (m.nearWhite >= 0.75 && m.solidFill < 0.05) {
    const receipt = size.height >= RECEIPT_ASPECT * size.width;
    return {
      kind: receipt ? 'receipt' : 'document',
      reason: `${percent(m.nearWhite)} is near-white with almost no filled areas, like text on paper${receipt ? ', on a narrow strip' : ''}`,
    };
  }
  return { kind: 'screenshot', reason: `${percent(m.flat)} is flat, with ${percent(m.solidFill)} in filled areas, like a user interface` };
}

export interface ImageStats {
  /** Share of pixels in the six most common colours (coarsely quantised): high for rendered graphics. */
  flatShare: number;
  /** Share of light pixels (paper). */
  lightShare: number;
}

const THUMBNAIL = 128;

export async function imageStats(bytes: Buffer, maxInputPixels: number): Promise<ImageStats> {
  const { data, info } = await sharp(bytes, { limitInputPixels: maxInputPixels, failOn: 'error', pages: 1 })
    .autoOrient()
    .flatten({ background: '#ffffff' })
    // Nearest-neighbour keeps flat colours exact instead of mixing them at edges.
    .resize(THUMBNAIL, THUMBNAIL, { fit: 'inside', kernel: 'nearest' })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const bins = new Map<number, number>();
  let light = 0;
  const pixels = info.width * info.height;
  for (let i = 0; i < data.length; i += info.channels) {
    const r = data[i] ?? 0;
    const g = data[i + 1] ?? r;
    const b = data[i + 2] ?? r;
    const bin = ((r >> 4) << 8) | ((g >> 4) << 4) | (b >> 4);
    bins.set(bin, (bins.get(bin) ?? 0) + 1);
    if (0.299 * r + 0.587 * g + 0.114 * b > 200) light++;
  }
  const top = [...bins.values()].sort((a, b) => b - a).slice(0, 6);
  return { flatShare: top.reduce((a, b) => a + b, 0) / pixels, lightShare: light / pixels };
}

const isFlat = (stats: ImageStats): boolean => stats.flatShare >= 0.45;
const isPaper = (stats: ImageStats): boolean => stats.lightShare >= 0.3;

/** Continuous tones and little paper: a photo whatever OCR reads in it. */
export const looksLikePhoto = (stats: ImageStats): boolean => !isFlat(stats) && !isPaper(stats);
