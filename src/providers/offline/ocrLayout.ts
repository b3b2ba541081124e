/**
 * Page layout from OCR word boxes: visual rows across the whole page width, split into segments
 * (runs of words without a column-sized gap), and the lookups the extraction rules are built on:
 * the value right of or below a label, and the most prominent line at the top.
 */
import type { FieldEvidence } from '../types.js';
import type { Box, OcrPage, OcrWord } from '../../ocr/ocrPage.js';
import { meanConfidence, unionBox } from '../../ocr/ocrPage.js';

export interface Segment {
  words: OcrWord[];
  text: string;
  box: Box;
  /** Median word height: how large the text is printed. */
  size: number;
  row: number;
}

export interface Row {
  index: number;
  /** Left to right. */
  segments: Segment[];
  box: Box;
  text: string;
}

export interface Layout {
  width: number;
  height: number;
  /** Top to bottom. */
  rows: Row[];
  /** Median word height on the page. */
  size: number;
  text: string;
}

/** Wider than this many text heights, a gap between words separates columns rather than words. */
const COLUMN_GAP = 1.3;

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

const height = (box: Box): number => box.y1 - box.y0;

/** Dashes and quotes OCR reads in several Unicode forms become their ASCII forms. */
const normaliseText = (text: string): string =>
  text
    .replace(/[\u2010-\u2015\u2212]/gu, '-')
    .replace(/[\u2018\u2019]/gu, "'")
    .replace(/[\u201c\u201d]/gu, '"');

function makeSegment(words: OcrWord[], row: number): Segment {
  return {
    words,
    text: words.map((word) => word.text).join(' '),
    box: unionBox(words.map((word) => word.box)),
    size: median(words.map((word) => height(word.box))),
    row,
  };
}

/** A row's words, left to right, cut wherever the gap is wider than a column gap. */
function splitAtGaps(words: readonly OcrWord[], row: number): Segment[] {
  const size = median(words.map((word) => height(word.box)));
  const runs: OcrWord[][] = [];
  for (const word of [...words].sort((a, b) => a.box.x0 - b.box.x0)) {
    const current = runs.at(-1);
    const previous = current?.at(-1);
    if (current === undefined || previous === undefined || word.box.x0 - previous.box.x1 > Math.max(COLUMN_GAP * size, 8))
      runs.push([word]);
    else current.push(word);
  }
  return runs.map((run) => makeSegment(run, row));
}

interface RowDraft {
  words: OcrWord[];
  boxes: Box[];
  y0: number;
  y1: number;
}

/**
 * Engine lines grouped into visual rows (a label and its far-right value often come out apart): a line
 * joins a row it overlaps vertically by half its height without overlapping horizontally.
 */
export function analyseLayout(page: OcrPage): Layout {
  const lines = page.lines
    .map((line) => line.words.filter((word) => word.text.trim() !== '').map((word) => ({ ...word, text: normaliseText(word.text) })))
    .filter((words) => words.length > 0)
    .map((words) => ({ words, box: unionBox(words.map((word) => word.box)) }))
    .sort((a, b) => a.box.y0 + a.box.y1 - (b.box.y0 + b.box.y1));
  const drafts: RowDraft[] = [];
  for (const line of lines) {
    const row = drafts.find(
      (candidate) =>
        Math.min(candidate.y1, line.box.y1) - Math.max(candidate.y0, line.box.y0) >=
          0.5 * Math.min(candidate.y1 - candidate.y0, height(line.box)) &&
        candidate.boxes.every((other) => other.x1 <= line.box.x0 || line.box.x1 <= other.x0),
    );
    if (row === undefined) {
      drafts.push({ words: [...line.words], boxes: [line.box], y0: line.box.y0, y1: line.box.y1 });
    } else {
      row.words.push(...line.words);
      row.boxes.push(line.box);
      row.y0 += (line.box.y0 - row.y0) / row.boxes.length;
      row.y1 += (line.box.y1 - row.y1) / row.boxes.length;
    }
  }
  const rows: Row[] = drafts
    .sort((a, b) => a.y0 + a.y1 - (b.y0 + b.y1))
    .map((draft, index) => {
      const segments = splitAtGaps(draft.words, index);
      return { index, segments, box: unionBox(draft.boxes), text: segments.map((segment) => segment.text).join('  ') };
    });
  return {
    width: page.width,
    height: page.height,
    rows,
    size: median(lines.flatMap((line) => line.words.map((word) => height(word.box)))),
    text: rows.map((row) => row.text).join('\n'),
  };
}

/** The words of `segment` that overlap the character range [start, end) of its text. */
export function wordsIn(segment: Segment, start: number, end: number): OcrWord[] {
  const words: OcrWord[] = [];
  let offset = 0;
  for (const word of segment.words) {
    const wordEnd = offset + word.text.length;
    if (offset < end && start < wordEnd) words.push(word);
    offset = wordEnd + 1;
  }
  return words;
}

/** A parser finds a value in a piece of text and says which characters it used. */
export type Parser<T> = (text: string) => { value: T; start: number; end: number } | null;

export type Placement = 'inline' | 'right' | 'below';

export interface LabelQuery<T> {
  /** Matched against each segment's text; the value follows the match. */
  label: RegExp;
  parse: Parser<T>;
  /** Where the value may sit relative to its label; all three by default. */
  where?: readonly Placement[];
  /** Segments that match are never this label (e.g. "Subtotal" when looking for "Total"). */
  exclude?: RegExp;
  /** Right of the label take the farthest value (amount columns are right-aligned), not the nearest. */
  farthest?: boolean;
  /** Rows that cannot hold this label (e.g. a table header with a "Total" column). */
  skipRows?: ReadonlySet<number>;
}

export interface Found<T> {
  value: T;
  words: OcrWord[];
  label: OcrWord[];
  where: Placement;
  row: number;
}

/** Every occurrence of the label that has a value, top to bottom. */
export function findLabelled<T>(layout: Layout, query: LabelQuery<T>): Found<T>[] {
  const where = query.where ?? ['inline', 'right', 'below'];
  const found: Found<T>[] = [];
  for (const row of layout.rows) {
    if (query.skipRows?.has(row.index) === true) continue;
    for (const segment of row.segments) {
      const match = query.label.exec(segment.text);
      if (match === null || query.exclude?.test(segment.text) === true) continue;
      const labelEnd = match.index + match[0].length;
      const label = wordsIn(segment, match.index, labelEnd);
      const hit =
        (where.includes('inline') ? inline(segment, labelEnd, query.parse) : null) ??
        (where.includes('right') ? rightOf(row, segment, query) : null) ??
        (where.includes('below') ? below(layout, segment, query.parse) : null);
      if (hit !== null) found.push({ ...hit, label, row: row.index });
    }
  }
  return found;
}

type Hit<T> = Pick<Found<T>, 'value' | 'words' | 'where'>;

function inline<T>(segment: Segment, labelEnd: number, parse: Parser<T>): Hit<T> | null {
  const parsed = parse(segment.text.slice(labelEnd));
  return parsed === null
    ? null
    : { value: parsed.value, words: wordsIn(segment, labelEnd + parsed.start, labelEnd + parsed.end), where: 'inline' };
}

function rightOf<T>(row: Row, label: Segment, query: LabelQuery<T>): Hit<T> | null {
  const candidates = row.segments.filter((segment) => segment.box.x0 >= label.box.x1);
  if (query.farthest === true) candidates.reverse();
  for (const segment of candidates) {
    const parsed = query.parse(segment.text);
    if (parsed !== null) return { value: parsed.value, words: wordsIn(segment, parsed.start, parsed.end), where: 'right' };
  }
  return null;
}

/** The next one or two rows, in the label's column (left-aligned with it or overlapping it). */
function below<T>(layout: Layout, label: Segment, parse: Parser<T>): Hit<T> | null {
  const reach = label.box.y1 + 3 * Math.max(label.size, layout.size);
  const rows = layout.rows.filter((row) => row.index > label.row && row.box.y0 < reach).slice(0, 2);
  for (const row of rows) {
    for (const segment of row.segments) {
      const overlaps = Math.min(segment.box.x1, label.box.x1) - Math.max(segment.box.x0, label.box.x0) > 0;
      if (!overlaps && Math.abs(segment.box.x0 - label.box.x0) > 2 * label.size) continue;
      const parsed = parse(segment.text);
      if (parsed !== null) return { value: parsed.value, words: wordsIn(segment, parsed.start, parsed.end), where: 'below' };
    }
  }
  return null;
}

/**
 * How large a segment is printed. Box heights are inflated when a rule or underline touches a word,
 * so the width per character (which also grows with bold type) tempers them.
 */
export function printedSize(segment: Segment): number {
  const characters = segment.words.reduce((sum, word) => sum + word.text.length, 0);
  const width = segment.words.reduce((sum, word) => sum + word.box.x1 - word.box.x0, 0);
  return Math.sqrt(segment.size * 1.6 * (width / Math.max(1, characters)));
}

/** Evidence for a value: OCR confidence of its words scaled by how much the rule that found it is trusted. */
export function evidence(words: readonly OcrWord[], trust: number, label: readonly OcrWord[] = []): FieldEvidence {
  return {
    confidence: Math.round(meanConfidence(words) * trust * 1000) / 1000,
    text: [...label, ...words].map((word) => word.text).join(' '),
  };
}

/** How much a placement is trusted: a value beside its label more than one found below it. */
export const PLACEMENT_TRUST: Record<Placement, number> = { inline: 0.95, right: 0.95, below: 0.85 };
