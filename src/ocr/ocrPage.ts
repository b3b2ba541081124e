/** What OCR read from one page, independent of the engine: the unit every extraction rule works on. */

/** Pixel box in the coordinates of the image OCR saw (after preparation). */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface OcrWord {
  text: string;
  /** 0..1 */
  confidence: number;
  box: Box;
}

/** A line as the engine segmented it; words of one visual row may sit in several lines (columns). */
export interface OcrLine {
  words: OcrWord[];
}

export interface OcrPage {
  width: number;
  height: number;
  lines: OcrLine[];
  /** Mean word confidence, 0..1 (0 when nothing was read). */
  confidence: number;
  /** e.g. `tesseract.js 7.0.0 (tesseract 5.1.0-288-g2a9c1)` */
  engine: string;
}

export const pageWords = (page: OcrPage): OcrWord[] => page.lines.flatMap((line) => line.words);

export function meanConfidence(words: readonly OcrWord[]): number {
  if (words.length === 0) return 0;
  return words.reduce((sum, word) => sum + word.confidence, 0) / words.length;
}

export function unionBox(boxes: readonly Box[]): Box {
  return {
    x0: Math.min(...boxes.map((b) => b.x0)),
    y0: Math.min(...boxes.map((b) => b.y0)),
    x1: Math.max(...boxes.map((b) => b.x1)),
    y1: Math.max(...boxes.map((b) => b.y1)),
  };
}

export function medianWordHeight(page: OcrPage): number {
  const heights = pageWords(page)
    .filter((word) => word.confidence >= 0.5 && /[A-Za-z0-9]/.test(word.text))
    .map((word) => word.box.y1 - word.box.y0)
    .sort((a, b) => a - b);
  return heights.length === 0 ? 0 : (heights[Math.floor(heights.length / 2)] ?? 0);
}
