/**
 * A PDF page's own text layer, laid out like OCR output: words with pixel boxes in the coordinates of
 * the page's rendering, grouped into visual rows. The shape matches what the offline provider's layout
 * rules read (`OcrPage` in src/ocr/ocrPage.ts: lines of words with `box` and
 * `confidence`), so a text layer can stand in for OCR where a page has one.
 */

/** Pixel box in the coordinates of the page's rendering (y grows downwards). */
export interface TextBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface TextWord {
  text: string;
  /** Always 1: the text layer is what the producer wrote, not a guess. */
  confidence: number;
  box: TextBox;
}

export interface TextLine {
  words: TextWord[];
}

export interface PageText {
  /** Size of the rendering the boxes refer to. */
  width: number;
  height: number;
  /** Visual rows, top to bottom, words left to right. */
  lines: TextLine[];
  /** One row per line; runs further apart than a few characters are separated by two spaces, like columns. */
  text: string;
  /** Non-whitespace characters on the page. */
  chars: number;
}

/** What pdf.js `getTextContent()` reports per run of text (its `TextItem`), reduced to what is used here. */
export interface TextRun {
  str: string;
  /** Text space to user space: [a, b, c, d, e, f]; (e, f) is the start of the baseline, |(c, d)| the font size. */
  transform: number[];
  /** Advance of the run in user space units, along the text direction. */
  width: number;
}

/**
 * Non-whitespace characters a page needs to count as having a text layer: a scan's stray page number,
 * stamp or watermark has fewer, a page of real text hundreds; below it a page is read as an image.
 */
export const MIN_TEXT_LAYER_CHARS = 20;

/** Share of the font size below the baseline that a box includes (descenders). */
const DESCENT = 0.25;
/** Runs in one row whose gap exceeds this many average character widths are columns apart. */
const COLUMN_GAP_CHARS = 2;

type Matrix = readonly number[];

const apply = (m: Matrix, x: number, y: number): [number, number] => [
  (m[0] ?? 1) * x + (m[2] ?? 0) * y + (m[4] ?? 0),
  (m[1] ?? 0) * x + (m[3] ?? 1) * y + (m[5] ?? 0),
];

interface PlacedWord extends TextWord {
  /** Index of the run it came from: runs are the unit of column separation. */
  run: number;
  /** Average character width of its run, in pixels. */
  charWidth: number;
}

/**
 * Splits one run into words, each spanning its share of the run's characters (pdf.js gives no glyph
 * positions): within a character or two, which is what the layout rules need.
 */
function runWords(run: TextRun, index: number, toPixels: Matrix): PlacedWord[] {
  const [a = 1, b = 0, c = 0, d = 1, e = 0, f = 0] = run.transform;
  const size = Math.hypot(c, d);
  const advance = Math.hypot(a, b);
  if (run.str.trim() === '' || size === 0 || advance === 0) return [];
  // Unit vectors along the baseline and up the glyphs, in user space.
  const along: [number, number] = [a / advance, b / advance];
  const up: [number, number] = [c / size, d / size];
  const length = run.str.length;
  const words: PlacedWord[] = [];
  for (const match of run.str.matchAll(/\S+/g)) {
    const start = (match.index / length) * run.width;
    const end = ((match.index + match[0].length) / length) * run.width;
    const corners = [start, end].flatMap((offset) =>
      [-DESCENT * size, size].map((rise) => apply(toPixels, e + along[0] * offset + up[0] * rise, f + along[1] * offset + up[1] * rise)),
    );
    const xs = corners.map(([x]) => x);
    const ys = corners.map(([, y]) => y);
    words.push({
      text: match[0],
      confidence: 1,
      box: { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) },
      run: index,
      charWidth: (run.width / length) * Math.hypot(toPixels[0] ?? 1, toPixels[1] ?? 0) || 1,
    });
  }
  return words;
}

const centreY = (box: TextBox): number => (box.y0 + box.y1) / 2;

/** Words whose vertical centres lie within half a word height of the row's first word share its row. */
function rows(words: PlacedWord[]): PlacedWord[][] {
  const sorted = [...words].sort((p, q) => centreY(p.box) - centreY(q.box) || p.box.x0 - q.box.x0);
  const result: PlacedWord[][] = [];
  for (const word of sorted) {
    const row = result.at(-1);
    const first = row?.[0];
    if (row !== undefined && first !== undefined && Math.abs(centreY(word.box) - centreY(first.box)) <= (first.box.y1 - first.box.y0) / 2) {
      row.push(word);
    } else {
      result.push([word]);
    }
  }
  return result.map((row) => row.sort((p, q) => p.box.x0 - q.box.x0));
}

function rowText(row: readonly PlacedWord[]): string {
  let text = '';
  row.forEach((word, i) => {
    const previous = row[i - 1];
    if (previous !== undefined) {
      const columnApart = word.run !== previous.run && word.box.x0 - previous.box.x1 > COLUMN_GAP_CHARS * previous.charWidth;
      text += columnApart ? '  ' : ' ';
    }
    text += word.text;
  });
  return text;
}

const strip = ({ text, confidence, box }: PlacedWord): TextWord => ({ text, confidence, box });

/**
 * `toPixels` maps PDF user space to the rendering's pixels (pdf.js `viewport.transform`, which also turns
 * the page upright); `width` x `height` is the rendering's size.
 */
export function pageText(runs: readonly TextRun[], toPixels: Matrix, width: number, height: number): PageText {
  const grouped = rows(runs.flatMap((run, index) => runWords(run, index, toPixels)));
  return {
    width,
    height,
    lines: grouped.map((row) => ({ words: row.map(strip) })),
    text: grouped.map(rowText).join('\n'),
    chars: runs.reduce((sum, run) => sum + run.str.replace(/\s/g, '').length, 0),
  };
}

export const hasTextLayer = (text: PageText | null): text is PageText => text !== null && text.chars >= MIN_TEXT_LAYER_CHARS;
