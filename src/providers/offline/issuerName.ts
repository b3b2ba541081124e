/**
 * The issuer of a document (an invoice's vendor, a receipt's merchant) from its header block: a line
 * ending in a legal form (SDN BHD, Ltd, GmbH, B.V., Inc…) wins; otherwise the most prominent line that
 * is a name, not a heading, address, phone, registration, opening-hours or person line.
 */
import type { OcrWord } from '../../ocr/ocrPage.js';
import { meanConfidence, unionBox } from '../../ocr/ocrPage.js';
import type { LabelledValue } from './fieldRules.js';
import type { Layout, Segment } from './ocrLayout.js';
import { evidence, printedSize } from './ocrLayout.js';
import { findAmounts } from './amounts.js';
import { findDates } from './dates.js';

/** Company legal forms as printed, OCR's common misreadings included (SON/SIN for SDN, EHD/BMD for BHD). */
const LEGAL_FORM = new RegExp(
  [
    String.raw`s[do0i1l]n\.?\s*[b8e][hm]d\.?`,
    String.raw`bhd\.?`,
    String.raw`berhad`,
    String.raw`(?:pty\.?\s*|pte\.?\s*|co\.?,?\s*)?ltd\.?`,
    String.raw`limited`,
    String.raw`gmbh`,
    String.raw`(?:gmbh\s*&\s*co\.?\s*)?kg`,
    String.raw`ag`,
    String.raw`b\.\s?v\.?`,
    String.raw`n\.\s?v\.?`,
    String.raw`bvba`,
    String.raw`s\.\s?a\.?(?:\s?s\.?)?`,
    String.raw`s\.\s?l\.?`,
    String.raw`s\.?\s?r\.?\s?l\.?`,
    String.raw`s\.?\s?p\.?\s?a\.?`,
    String.raw`sarl`,
    String.raw`sas`,
    String.raw`inc\.?`,
    String.raw`incorporated`,
    String.raw`l\.?l\.?c\.?`,
    String.raw`plc`,
    String.raw`llp`,
    String.raw`corp(?:oration|\.)?`,
    String.raw`co\.`,
    String.raw`oy`,
    String.raw`ab`,
  ]
    .map((form) => `(?:${form})`)
    .join('|'),
  'giu',
);
const LEGAL_FORM_AT = new RegExp(String.raw`(?<![\p{L}\p{N}])(?:${LEGAL_FORM.source})(?![\p{L}\p{N}])`, 'giu');

/** Lines of a header that are never the issuer's name. */
const NOT_A_NAME: readonly RegExp[] = [
  // Titles, in the languages the reader knows, with OCR's readings of "invoice".
  /\b(tax\s+|simplified\s+|official\s+)?(in|ih|tr|ir|1n)?v[o0]ice\b|\b(receipt|re[cg]eipt|bill|statement|quotation|quote|credit\s+note|adjustment\s+note|delivery\s+note)\b/i,
  /\b(factuur|rechnung|facture|factura|recibo|quittung|kassenbon|kwitantie|bon\s+de|nota\s+fiscal|ticket)\b/i,
  // A label with its value ("Name: MRS YUEN", "GST ID : 0020…", "Cash Inv No.: 7730F710").
  /^[\p{L}\p{N} .#/&-]{1,24}\s?[:：»]/u,
  /\b(tel|telephone|phone|fax|hp|mobile|e-?mail|www|http|website)\b|@|\.com\b/i,
  /\b(gst|vat|sst|tin|abn|acn|ust|btw|kvk|siret|siren|nif|cif|iban|bic|swift)\b|\b(reg(istration)?|company|co)\.?\s*(no|nr|number|reg)\b/i,
  // Address lines: street words with a number or a comma, postcodes, a trailing comma.
  /\b(jalan|jln|lorong|taman|tmn|bandar|lot|floor|flr|level|road|rd|street|st\.|avenue|ave|blvd|lane|drive|suite|unit|block|blk|straße|strasse|str\.|straat|weg|laan|rue|calle|avenida|plaza|shopping\s+(centre|center|mall))\b.*[\d,]|[\d,].*\b(jalan|jln|lorong|taman|tmn|bandar|lot|floor|flr|road|rd|street|avenue|straße|strasse|straat|weg|laan|rue|calle|avenida)\b/i,
  /(?<!\d)\d{4,6}(?!\d)\s+\p{L}/u,
  /^\d+[\p{L}\d/-]*,/u,
  /,\s*$/,
  // People, staff, opening hours, greetings, payment.
  /\b(mr|mrs|ms|miss|dr|name|cashier|server|table|staff|operator|customer|member|counter|terminal|order|welcome|thank|thanks|hours|open(ing)?|carry\s+out|take\s*away|dine\s+in|cash|change|bill(ed)?\s+to|ship\s+to|sold\s+to|invoice\s+to|page)\b/i,
  /^(number|no\.?|qty|quantity|item|description|date|total|amount|rate|price|due)\b/i,
];

/** Rows of the header that may hold the name: the top of the page, before the first date, price or customer block. */
const HEADER_FRACTION = 0.4;
const HEADER_ROWS = 14;
const END_OF_HEADER =
  /\b(bill(ed)?\s+to|invoice\s+to|ship\s+to|sold\s+to|customer|deliver(y|ed)?\s+to|factuuradres|rechnungsadresse|client|date|datum|fecha)\b/i;
/** Without a legal form, the name is among the first lines of the header. */
const PROMINENT_ROWS = 8;
/** A registration number printed after a company name: "(126926-H)", "{139386 X)". */
const REGISTRATION = /[({[]\s*(?:co\.?\s*(?:no|reg)\.?\s*:?\s*)?[\p{L}\p{N}]{0,2}\d{3,}[^)}\]]*[)}\]]?/gu;

/** OCR's stray marks at a line's edges: words without two letters or digits, or read with little confidence. */
const isJunk = (word: OcrWord): boolean =>
  (!/[\p{L}\p{N}]{2}/u.test(word.text) && !/^(\p{L}\.){2,}$/u.test(word.text)) || (word.confidence < 0.3 && word.text.length <= 3);

function trimmed(segment: Segment): OcrWord[] {
  const words = [...segment.words];
  while (words.length > 0 && isJunk(words[0] as OcrWord)) words.shift();
  while (words.length > 0 && isJunk(words.at(-1) as OcrWord)) words.pop();
  return words;
}

const textOf = (words: readonly OcrWord[]): string => words.map((word) => word.text).join(' ');

/** Mostly letters, read with some confidence, and at least one real word. */
function readsAsName(text: string, words: readonly OcrWord[]): boolean {
  const letters = (text.match(/\p{L}/gu) ?? []).length;
  const digits = (text.match(/\p{N}/gu) ?? []).length;
  return letters >= 4 && letters >= 3 * digits && /\p{L}{3}/u.test(text) && meanConfidence(words) >= 0.4;
}

const isName = (candidate: Candidate): boolean => !NOT_A_NAME.some((pattern) => pattern.test(candidate.raw.replace(LEGAL_FORM_AT, '')));

/**
 * The name up to its legal form: a registration number or stray marks after it are not part of the
 * name. `formOnly` when the line holds nothing else (the name is on the line above).
 */
function nameWithLegalForm(text: string): { name: string; formOnly: boolean } | null {
  const forms = [...text.matchAll(LEGAL_FORM_AT)];
  const last = forms.at(-1);
  if (last === undefined) return null;
  const end = last.index + last[0].length;
  const rest = text.slice(end).replace(REGISTRATION, '');
  if ((rest.match(/\p{L}/gu) ?? []).length > 3) return null;
  const name = text
    .slice(0, end)
    .replace(/\bs[do0i1l]n(\.?\s*)[b8e][hm]d\b/giu, (found: string, gap: string) =>
      found === found.toUpperCase() ? `SDN${gap}BHD` : `Sdn${gap}Bhd`,
    );
  return { name, formOnly: !/\p{L}{2}/u.test(name.slice(0, forms[0]?.index ?? 0)) && forms.length === 1 };
}

interface Candidate {
  words: OcrWord[];
  /** Without stray marks at its ends. */
  text: string;
  /** As read, for the tests that look at punctuation ("Name:"). */
  raw: string;
  row: number;
  segment: Segment;
}

function headerCandidates(layout: Layout): Candidate[] {
  const limit = Math.max(layout.height * HEADER_FRACTION, layout.rows[0]?.box.y1 ?? 0);
  const candidates: Candidate[] = [];
  for (const row of layout.rows.slice(0, HEADER_ROWS)) {
    const priced = findAmounts(row.text).some((amount) => amount.hasCents);
    if (row.index > 0 && (row.box.y0 > limit || END_OF_HEADER.test(row.text) || priced || findDates(row.text, 'DMY').length > 0)) break;
    for (const segment of joinLegalForms(row.segments)) {
      const words = trimmed(segment);
      const raw = textOf(words);
      const text = raw.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}.)]+$/gu, '');
      if (words.length > 0 && readsAsName(text.replace(REGISTRATION, ''), words))
        candidates.push({ words, text, raw, row: row.index, segment });
    }
  }
  return candidates;
}

/** A legal form set apart by wide spacing ("SUBANG HEALTHCARE SDN   BHD") belongs to the segment before it. */
function joinLegalForms(segments: readonly Segment[]): Segment[] {
  const joined: Segment[] = [];
  for (const segment of segments) {
    const previous = joined.at(-1);
    const formOnly = new RegExp(String.raw`^(?:${LEGAL_FORM.source})$`, 'iu').test(segment.text.trim());
    if (previous !== undefined && formOnly) {
      const words = [...previous.words, ...segment.words];
      joined[joined.length - 1] = {
        ...previous,
        words,
        text: `${previous.text} ${segment.text}`,
        box: unionBox(words.map((word) => word.box)),
      };
    } else joined.push(segment);
  }
  return joined;
}

/** A name printed over two lines ("WESTERN EASTERN" / "STATIONERY SDN. BHD"): the row above, same print. */
function lineAbove(candidates: readonly Candidate[], at: Candidate): { words: OcrWord[]; text: string } | undefined {
  const above = candidates.filter((candidate) => candidate.row === at.row - 1);
  const [first] = above;
  if (first === undefined || !above.every((part) => isName(part) && /^[\p{L}&'. -]+$/u.test(part.text))) return undefined;
  const ratio = first.segment.size / at.segment.size;
  const gap = at.segment.box.y0 - Math.max(...above.map((part) => part.segment.box.y1));
  if (ratio <= 0.8 || ratio >= 1.25 || gap >= at.segment.size) return undefined;
  return { words: above.flatMap((part) => part.words), text: above.map((part) => part.text).join(' ') };
}

export function issuer(layout: Layout): LabelledValue<string> | null {
  const candidates = headerCandidates(layout);
  for (const candidate of candidates) {
    const named = nameWithLegalForm(candidate.text);
    if (named === null || !isName(candidate)) continue;
    const above = lineAbove(candidates, candidate);
    if (named.formOnly && above === undefined) continue;
    const words = above === undefined ? candidate.words : [...above.words, ...candidate.words];
    const value = above === undefined ? named.name : `${above.text} ${named.name}`;
    return { value, evidence: evidence(words, 0.85), row: candidate.row };
  }
  const firstRows = new Set(candidates.map((candidate) => candidate.row).slice(0, PROMINENT_ROWS));
  const names = candidates.filter(
    (candidate) => firstRows.has(candidate.row) && isName(candidate) && meanConfidence(candidate.words) >= 0.55,
  );
  const largest = Math.max(0, ...names.map((candidate) => printedSize(candidate.segment)));
  const prominent = names.find((candidate) => printedSize(candidate.segment) >= 0.88 * largest);
  if (prominent === undefined) return null;
  // A logo beside the name is often read as a letter far taller than the line's text.
  const words = prominent.words.filter((word) => word.box.y1 - word.box.y0 <= 1.8 * prominent.segment.size);
  const value = textOf(words).replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}.)]+$/gu, '');
  return value === '' ? null : { value, evidence: evidence(words, 0.7), row: prominent.row };
}
