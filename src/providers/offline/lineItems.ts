/**
 * Line items from the rows of a page. With a header row (Description / Qty / Unit price / Amount)
 * numbers are assigned to the column they sit under; without one (most till receipts) the amounts at
 * the right end of a row are read right to left: total, then unit price, then quantity, and
 * "2 x Coffee" / "2 @ 1.75" supply the quantity. A description on its own row followed by a row of
 * numbers only is one item printed on two lines.
 */
import type { FieldEvidence } from '../types.js';
import type { AmountMatch } from './amounts.js';
import { findAmounts } from './amounts.js';
import type { Layout, Row, Segment } from './ocrLayout.js';
import { evidence, wordsIn } from './ocrLayout.js';
import type { Box, OcrWord } from '../../ocr/ocrPage.js';
import { unionBox } from '../../ocr/ocrPage.js';

export interface Item {
  description: string;
  quantity: number | null;
  unit_price: number | null;
  total: number | null;
}

export interface ItemsReading {
  items: Item[];
  /** Keyed `<path>[i].<field>`. */
  evidence: Record<string, FieldEvidence>;
  headerRow: number | null;
  /** Rows the items were read from (header included), so other rules can skip them. */
  rows: Set<number>;
}

type Column = 'description' | 'quantity' | 'unit_price' | 'total';

/** Two-word header cells ("Unit price", "Line total") are tried before single words. */
const HEADER_PAIRS: readonly (readonly [RegExp, Column])[] = [
  [/^unit (price|cost)$/i, 'unit_price'],
  [/^(line total|total price|net amount)$/i, 'total'],
];

const HEADER_WORDS: readonly (readonly [RegExp, Column])[] = [
  [/^(description|item|items|service|services|product|products|details|particulars|article)$/i, 'description'],
  [/^(qty|quantity|hours|hrs|units|pcs)$/i, 'quantity'],
  [/^(price|rate|each|unit)$/i, 'unit_price'],
  [/^(amount|total|sum|net|value)$/i, 'total'],
];

interface HeaderCell {
  column: Column;
  box: Box;
}

/** The header row's cells, or null when `row` is not a table header. */
function headerCells(row: Row): HeaderCell[] | null {
  const words = row.segments.flatMap((segment) => segment.words);
  const clean = (word: OcrWord): string => word.text.replace(/[^\p{L}]/gu, '');
  const cells: HeaderCell[] = [];
  let strangers = 0;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as OcrWord;
    const next = words[i + 1];
    const pair = next === undefined ? undefined : HEADER_PAIRS.find(([pattern]) => pattern.test(`${clean(word)} ${clean(next)}`))?.[1];
    if (pair !== undefined && next !== undefined) {
      cells.push({ column: pair, box: unionBox([word.box, next.box]) });
      i++;
      continue;
    }
    const column = HEADER_WORDS.find(([pattern]) => pattern.test(clean(word)))?.[1];
    if (column === undefined) strangers++;
    else cells.push({ column, box: word.box });
  }
  const columns = new Set(cells.map((cell) => cell.column));
  if (!columns.has('description') || columns.size < 2 || strangers > 1) return null;
  // With a single price column (receipts: Item / Qty / Price) the price is the line's total.
  if (!columns.has('total')) {
    const prices = cells.filter((cell) => cell.column === 'unit_price');
    const last = prices.at(-1);
    if (last !== undefined) last.column = 'total';
  }
  return cells;
}

interface NumberCell {
  amount: AmountMatch;
  words: OcrWord[];
  box: Box;
}

interface RowParts {
  text: OcrWord[];
  numbers: NumberCell[];
}

/** Splits a row into its text and its trailing numbers (with any "x" or "@" between them). */
function rowParts(row: Row): RowParts {
  const text: OcrWord[] = [];
  const numbers: NumberCell[] = [];
  for (const segment of row.segments) {
    const amounts = findAmounts(segment.text);
    const connectors = segment.text.replace(/\S+/g, (token, offset: number) =>
      amounts.some((a) => offset >= a.start && offset < a.end) ? '' : token,
    );
    if (amounts.length > 0 && /^[\s@x×*:]*$/iu.test(connectors)) {
      numbers.push(...amounts.map((amount) => cellOf(segment, amount)));
      continue;
    }
    // Text with numbers at its end ("Coffee 3.50" printed without a gap): split them off.
    const trailing: AmountMatch[] = [];
    for (const amount of [...amounts].reverse()) {
      const after = segment.text.slice(amount.end, trailing[0]?.start ?? segment.text.length);
      if (!/^[\s@x×*]*$/iu.test(after)) break;
      trailing.unshift(amount);
    }
    const cut = trailing[0]?.start ?? segment.text.length;
    text.push(...wordsIn(segment, 0, cut).filter((word) => !trailing.some((amount) => cellOf(segment, amount).words.includes(word))));
    numbers.push(...trailing.map((amount) => cellOf(segment, amount)));
  }
  return { text, numbers };
}

function cellOf(segment: Segment, amount: AmountMatch): NumberCell {
  const words = wordsIn(segment, amount.start, amount.end);
  return { amount, words, box: unionBox(words.map((word) => word.box)) };
}

interface Parsed {
  item: Item;
  words: Record<Column, OcrWord[]>;
}

const QUANTITY_PREFIX = /^(\d{1,3})\s*[x×*]?\s+(?=\p{L})/iu;

function descriptionOf(words: OcrWord[]): { description: string; quantity: number | null; words: OcrWord[]; quantityWords: OcrWord[] } {
  const text = words.map((word) => word.text).join(' ');
  const prefix = QUANTITY_PREFIX.exec(text);
  if (prefix === null) return { description: cleanDescription(text), quantity: null, words, quantityWords: [] };
  const consumed = prefix[0].trim().split(/\s+/).length;
  return {
    description: cleanDescription(text.slice(prefix[0].length)),
    quantity: Number(prefix[1]),
    words: words.slice(consumed),
    quantityWords: words.slice(0, consumed),
  };
}

const cleanDescription = (text: string): string => text.replace(/^[\s\-*.:|]+|[\s\-*.:|]+$/g, '');

/** Numbers under a header: each goes to the column whose edge or centre it is nearest. */
function byColumns(parts: RowParts, header: HeaderCell[]): Parsed | null {
  const numeric = header.filter((cell) => cell.column !== 'description');
  const firstNumeric = Math.min(...numeric.map((cell) => cell.box.x0));
  const assigned = new Map<Column, NumberCell>();
  for (const cell of parts.numbers) {
    const distance = (column: HeaderCell): number =>
      Math.min(
        Math.abs(cell.box.x1 - column.box.x1),
        Math.abs(cell.box.x0 - column.box.x0),
        Math.abs(cell.box.x0 + cell.box.x1 - column.box.x0 - column.box.x1) / 2,
      );
    const nearest = [...numeric].sort((a, b) => distance(a) - distance(b))[0];
    // Numbers well left of the first numeric column belong to the description ("LED panel 60x60").
    if (nearest === undefined || cell.box.x1 < firstNumeric - 2 * (nearest.box.x1 - nearest.box.x0)) continue;
    assigned.set(nearest.column, cell);
  }
  const leftovers = parts.numbers.filter((cell) => ![...assigned.values()].includes(cell)).flatMap((cell) => cell.words);
  const textWords = [...parts.text, ...leftovers].sort((a, b) => a.box.x0 - b.box.x0);
  return build(textWords, assigned.get('quantity') ?? null, assigned.get('unit_price') ?? null, assigned.get('total') ?? null);
}

/** Numbers without a header: the last is the total, then unit price and quantity leftwards. */
function byPosition(parts: RowParts): Parsed | null {
  const numbers = [...parts.numbers];
  const total = numbers.pop() ?? null;
  let unit = numbers.pop() ?? null;
  let quantity = numbers.pop() ?? null;
  if (quantity === null && unit !== null && !unit.amount.hasCents && Number.isInteger(unit.amount.value)) {
    quantity = unit;
    unit = null;
  }
  return build(parts.text, quantity, unit, total);
}

function build(textWords: OcrWord[], quantity: NumberCell | null, unit: NumberCell | null, total: NumberCell | null): Parsed | null {
  if (total === null || !total.amount.hasCents) return null;
  const described = descriptionOf(textWords);
  const qty = quantity?.amount.value ?? described.quantity;
  return {
    item: { description: described.description, quantity: qty, unit_price: unit?.amount.value ?? null, total: total.amount.value },
    words: {
      description: described.words,
      quantity: quantity?.words ?? described.quantityWords,
      unit_price: unit?.words ?? [],
      total: total.words,
    },
  };
}

const hasLetters = (words: readonly OcrWord[]): boolean => /\p{L}{2}/u.test(words.map((word) => word.text).join(' '));

/**
 * Items from the rows above the first row that `stop` matches (totals), skipping rows `ignore` matches.
 * `path` names the array in the evidence keys (`line_items` or `items`).
 */
export function readItems(layout: Layout, stop: RegExp, ignore: RegExp, path: string): ItemsReading {
  const headerIndex = layout.rows.findIndex((row) => headerCells(row) !== null);
  const header = headerIndex < 0 ? null : headerCells(layout.rows[headerIndex] as Row);
  const rows = new Set<number>(headerIndex < 0 ? [] : [headerIndex]);
  const found: Parsed[] = [];
  let pending: { words: OcrWord[]; row: number } | null = null;
  for (const row of layout.rows.slice(headerIndex + 1)) {
    const first = row.segments[0]?.text ?? '';
    if (stop.test(first)) break;
    if (ignore.test(row.text)) continue;
    const parts = rowParts(row);
    if (parts.numbers.length === 0) {
      pending = hasLetters(parts.text) ? { words: parts.text, row: row.index } : null;
      continue;
    }
    const continued = !hasLetters(parts.text) && pending !== null;
    const withText = continued && pending !== null ? { ...parts, text: [...pending.words, ...parts.text] } : parts;
    const parsed = header === null ? byPosition(withText) : byColumns(withText, header);
    if (parsed !== null && parsed.item.description !== '' && hasLetters(parsed.words.description)) {
      found.push(parsed);
      rows.add(row.index);
      if (continued && pending !== null) rows.add(pending.row);
    }
    pending = null;
  }
  const itemEvidence: Record<string, FieldEvidence> = {};
  found.forEach(({ item, words }, index) => {
    for (const column of ['description', 'quantity', 'unit_price', 'total'] as const) {
      if (item[column] !== null && words[column].length > 0) itemEvidence[`${path}[${index}].${column}`] = evidence(words[column], 0.9);
    }
  });
  return { items: found.map((parsed) => parsed.item), evidence: itemEvidence, headerRow: headerIndex < 0 ? null : headerIndex, rows };
}
