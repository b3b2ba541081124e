/** Small hand-built OCR pages: words laid out like print, for rules that need exact geometry. */
import type { OcrLine, OcrPage } from '../../../../src/ocr/ocrPage.js';

/** One engine line at (x, y): words of `text` separated by single spaces, characters 0.6 x size wide. */
export function line(x: number, y: number, text: string, size = 16, confidence = 0.95): OcrLine {
  const width = size * 0.6;
  let cursor = x;
  return {
    words: text.split(' ').map((word) => {
      const box = { x0: cursor, y0: y, x1: cursor + word.length * width, y1: y + size };
      cursor = box.x1 + width;
      return { text: word, confidence, box };
    }),
  };
}

export function page(lines: OcrLine[], width = 1240, height = 1754): OcrPage {
  return { width, height, lines, confidence: 0.95, engine: 'test' };
}
