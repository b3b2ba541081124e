/**
 * What kind of picture an upload is, from OCR and a few pixel statistics: a page of text on a light
 * background is a document, a picture of flat colours with text is a screenshot (or a chart when it
 * is colourful with few, mostly numeric words), anything with continuous tones is a photo. A
 * heuristic for the offline `describe` answer, not a classifier to rely on.
 */
import sharp from 'sharp';
import type { OcrPage } from '../../ocr/ocrPage.js';
import { pageWords } from '../../ocr/ocrPage.js';

export type ImageKind = 'document' | 'screenshot' | 'chart' | 'photo';

export interface ImageStats {
  /** Share of pixels in the six most common colours (coarsely quantised): high for rendered graphics. */
  flatShare: number;
  /** Share of light pixels (paper). */
  lightShare: number;
  /** Mean saturation, 0..1. */
  colourfulness: number;
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
  let saturation = 0;
  const pixels = info.width * info.height;
  for (let i = 0; i < data.length; i += info.channels) {
    const r = data[i] ?? 0;
    const g = data[i + 1] ?? r;
    const b = data[i + 2] ?? r;
    const bin = ((r >> 4) << 8) | ((g >> 4) << 4) | (b >> 4);
    bins.set(bin, (bins.get(bin) ?? 0) + 1);
    if (0.299 * r + 0.587 * g + 0.114 * b > 200) light++;
    const max = Math.max(r, g, b);
    saturation += max === 0 ? 0 : (max - Math.min(r, g, b)) / max;
  }
  const top = [...bins.values()].sort((a, b) => b - a).slice(0, 6);
  return { flatShare: top.reduce((a, b) => a + b, 0) / pixels, lightShare: light / pixels, colourfulness: saturation / pixels };
}

const isFlat = (stats: ImageStats): boolean => stats.flatShare >= 0.45;
const isPaper = (stats: ImageStats): boolean => stats.lightShare >= 0.3;

/** Continuous tones and little paper: a photo whatever OCR reads in it. */
export const looksLikePhoto = (stats: ImageStats): boolean => !isFlat(stats) && !isPaper(stats);

/** `size` is the upright image size (landscape pages of text are more often screens than paper). */
export function classifyImage(page: OcrPage, stats: ImageStats, size: { width: number; height: number }): ImageKind {
  const words = pageWords(page).filter((word) => word.confidence >= 0.6 && /[\p{L}\p{N}]{2}/u.test(word.text));
  const numeric = words.filter((word) => /^[^\p{L}]*\d[^\p{L}]*$/u.test(word.text)).length;
  if (looksLikePhoto(stats)) return 'photo';
  const flat = isFlat(stats);
  if (!flat) return words.length >= 15 ? 'document' : 'photo';
  if (words.length < 40 && stats.colourfulness >= 0.08 && (words.length < 4 || numeric / words.length >= 0.3)) return 'chart';
  if (words.length < 4) return stats.colourfulness >= 0.08 ? 'chart' : 'photo';
  if (stats.lightShare >= 0.6 && size.width / size.height < 1.2) return 'document';
  return 'screenshot';
}
