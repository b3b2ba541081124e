import { describe, expect, it } from 'vitest';
import { MIN_TEXT_LAYER_CHARS, hasTextLayer, pageText, type TextRun } from '../../src/media/pageText.js';

/** pdf.js's viewport transform for a 612 x 792 pt page at `scale`: y flips so that it grows downwards. */
const viewport = (scale: number): number[] => [scale, 0, 0, -scale, 0, 792 * scale];
const run = (str: string, x: number, y: number, size = 10, width = str.length * size * 0.5): TextRun => ({
  str,
  transform: [size, 0, 0, size, x, y],
  width,
});

describe('pageText', () => {
  it('groups runs into rows top to bottom, words left to right, columns two spaces apart', () => {
    const text = pageText(
      [
        run('45.00', 520, 600),
        run('Stapler, heavy duty', 50, 600),
        run('Total', 400, 560),
        run('INVOICE', 450, 700, 24),
        run('95.84', 520, 560.5),
      ],
      viewport(1),
      612,
      792,
    );
    expect(text.text).toBe(['INVOICE', 'Stapler, heavy duty  45.00', 'Total  95.84'].join('\n'));
    expect(text.lines.map((line) => line.words.map((word) => word.text))).toEqual([
      ['INVOICE'],
      ['Stapler,', 'heavy', 'duty', '45.00'],
      ['Total', '95.84'],
    ]);
    expect(text.chars).toBe('INVOICEStapler,heavyduty45.00Total95.84'.length);
  });

  it('places word boxes in the pixels of the rendering', () => {
    const { lines } = pageText([run('Total 95.84', 100, 700, 10, 55)], viewport(2), 1224, 1584);
    const [total, amount] = lines[0]?.words ?? [];
    // x: 100 pt * 2; the first 5 of 11 characters are "Total"; baseline 700 pt from the bottom = 184 px from the top.
    expect(total?.box.x0).toBeCloseTo(200, 5);
    expect(total?.box.x1).toBeCloseTo(200 + (5 / 11) * 110, 5);
    expect(amount?.box.x1).toBeCloseTo(310, 5);
    expect(total?.box.y1).toBeCloseTo(184 + 0.25 * 20, 5);
    expect(total?.box.y0).toBeCloseTo(184 - 20, 5);
    expect(total?.confidence).toBe(1);
  });

  it('turns rotated pages upright: boxes follow the viewport, not the text space', () => {
    // pdf.js viewport of a page with /Rotate 90 at scale 1: x' = y, y' = x.
    const { lines } = pageText([run('Rotated', 100, 300, 10, 35)], [0, 1, 1, 0, 0, 0], 792, 612);
    const box = lines[0]?.words[0]?.box;
    expect(box).toEqual({ x0: 300 - 2.5, y0: 100, x1: 310, y1: 135 });
  });

  it('skips empty runs and counts only visible characters', () => {
    const text = pageText([run('', 50, 700), run('   ', 50, 690), run('a b', 50, 680)], viewport(1), 612, 792);
    expect(text.lines).toHaveLength(1);
    expect(text.chars).toBe(2);
  });

  it('counts a page as having a text layer from MIN_TEXT_LAYER_CHARS characters on', () => {
    const page = (chars: number) => pageText([run('x'.repeat(chars), 50, 700)], viewport(1), 612, 792);
    expect(hasTextLayer(page(MIN_TEXT_LAYER_CHARS - 1))).toBe(false);
    expect(hasTextLayer(page(MIN_TEXT_LAYER_CHARS))).toBe(true);
    expect(hasTextLayer(null)).toBe(false);
  });
});
