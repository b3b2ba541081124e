/**
 * Dates as printed on invoices and receipts, normalised to YYYY-MM-DD: 2024-03-05, 05/03/2024,
 * 03/05/2024 (US order, from a hint), 05.03.2024, 5 March 2024, Mar 5, 2024, 05-Mar-2024, 05/03/24.
 * Times as HH:MM (24-hour), from 14:32, 2:32 PM, 14:32:10.
 */

/** Which of two numbers ≤ 12 is the day in 05/03/2024. */
export type DateOrder = 'DMY' | 'MDY';

export interface DateMatch {
  iso: string;
  start: number;
  end: number;
  /** Numeric day and month both ≤ 12: the order hint decided. */
  ambiguous: boolean;
}

/** Month names and their usual abbreviations in English, Dutch, German, French and Spanish. */
const MONTH_NAMES: readonly (readonly string[])[] = [
  ['january', 'jan', 'januari', 'januar', 'jänner', 'janvier', 'janv', 'enero', 'ene'],
  ['february', 'feb', 'februari', 'februar', 'février', 'fevrier', 'févr', 'fev', 'febrero'],
  ['march', 'mar', 'maart', 'mrt', 'märz', 'marz', 'mars', 'marzo'],
  ['april', 'apr', 'avril', 'avr', 'abril', 'abr'],
  ['may', 'mei', 'mai', 'mayo'],
  ['june', 'jun', 'juni', 'juin', 'junio'],
  ['july', 'jul', 'juli', 'juillet', 'juil', 'julio'],
  ['august', 'aug', 'augustus', 'août', 'aout', 'agosto', 'ago'],
  ['september', 'sep', 'sept', 'septembre', 'septiembre', 'setiembre', 'set'],
  ['october', 'oct', 'oktober', 'okt', 'octobre', 'octubre'],
  ['november', 'nov', 'noviembre', 'novembre'],
  ['december', 'dec', 'dezember', 'dez', 'décembre', 'decembre', 'déc', 'diciembre', 'dic'],
];
const MONTH_OF: ReadonlyMap<string, number> = new Map(MONTH_NAMES.flatMap((names, index) => names.map((name) => [name, index + 1])));
const MONTH_NAME = String.raw`(?<month>${[...MONTH_OF.keys()].sort((a, b) => b.length - a.length).join('|')})(?![\p{L}])\.?`;

const PATTERNS: readonly RegExp[] = [
  /(?<!\d)(?<year>(?:19|20)\d{2})[-/.](?<a>\d{1,2})[-/.](?<b>\d{1,2})(?!\d)/giu,
  // The second separator may be a space before a four-digit year: OCR drops dots ("15.01 2022").
  /(?<!\d)(?<a>\d{1,2})(?<sep>[-/.])(?<b>\d{1,2})(?:\k<sep>|\s(?=\d{4}))(?<year>(?:19|2[0689])\d{2}|\d{2})(?!\d)/giu,
  new RegExp(
    String.raw`(?<!\d)(?<day>\d{1,2})(?:st|nd|rd|th|er|e|\.)?[\s\-/.]*(?:of\s+|de\s+)?${MONTH_NAME}[\s\-/.,]*(?:de\s+)?(?<year>(?:19|20)\d{2}|\d{2})(?!\d)`,
    'giu',
  ),
  new RegExp(String.raw`\b${MONTH_NAME}[\s\-/.]*(?<day>\d{1,2})(?:st|nd|rd|th)?[\s,.]+(?<year>(?:19|20)\d{2})(?!\d)`, 'giu'),
];

/** Every date in `text`, left to right; overlapping readings keep the first pattern's. */
export function findDates(text: string, order: DateOrder): DateMatch[] {
  const found: DateMatch[] = [];
  PATTERNS.forEach((pattern, index) => {
    for (const match of text.matchAll(pattern)) {
      const groups = match.groups ?? {};
      const read = (parts: Record<string, string | undefined>): Omit<DateMatch, 'start' | 'end'> | null =>
        index === 0 ? fromParts(parts.year, parts.a, parts.b) : index === 1 ? numeric(parts, order) : named(parts);
      const parsed = read(groups) ?? (index < 2 ? read({ ...groups, a: dottedZero(groups.a), b: dottedZero(groups.b) }) : null);
      if (parsed === null) continue;
      const start = match.index;
      const end = start + match[0].length;
      if (found.some((other) => start < other.end && other.start < end)) continue;
      found.push({ ...parsed, start, end });
    }
  });
  return found.sort((a, b) => a.start - b.start);
}

/**
 * Fonts with a dotted or slashed zero (most till printers) make OCR read 0 as 6, 8 or 9: a day or
 * month that cannot exist ("03/69/2024") is retried with that digit as 0.
 */
const dottedZero = (part: string | undefined): string | undefined =>
  part !== undefined && /^[689]\d$/.test(part) ? `0${part.slice(1)}` : part;
/** The same misreading in a year: 2817 for 2017. */
const dottedZeroYear = (year: string | undefined): string | undefined =>
  year !== undefined && /^2[689]\d\d$/.test(year) ? `20${year.slice(2)}` : year;

export function parseDate(text: string, order: DateOrder): string | null {
  return findDates(text, order)[0]?.iso ?? null;
}

/**
 * The day/month order of a document: a numeric date with a part above 12 settles it; otherwise the
 * currency hints (US dollars: month first), and day first everywhere else.
 */
export function dateOrderOf(text: string, currency: string | null): DateOrder {
  for (const match of text.matchAll(PATTERNS[1] as RegExp)) {
    const a = Number(match.groups?.a);
    const b = Number(match.groups?.b);
    if (match.groups?.sep === '.') return 'DMY';
    if (a > 31 || b > 31) continue;
    if (a > 12 && b <= 12) return 'DMY';
    if (b > 12 && a <= 12) return 'MDY';
  }
  return currency === 'USD' ? 'MDY' : 'DMY';
}

function numeric(groups: Record<string, string | undefined>, order: DateOrder): Omit<DateMatch, 'start' | 'end'> | null {
  const a = Number(groups.a);
  const b = Number(groups.b);
  // Dotted dates are day-first wherever they are printed.
  const effective: DateOrder = groups.sep === '.' ? 'DMY' : a > 12 ? 'DMY' : b > 12 ? 'MDY' : order;
  const [day, month] = effective === 'DMY' ? [groups.a, groups.b] : [groups.b, groups.a];
  const parsed = fromParts(dottedZeroYear(groups.year), month, day);
  return parsed === null ? null : { ...parsed, ambiguous: a <= 12 && b <= 12 && a !== b && groups.sep !== '.' };
}

function named(groups: Record<string, string | undefined>): Omit<DateMatch, 'start' | 'end'> | null {
  const month = MONTH_OF.get((groups.month ?? '').toLowerCase()) ?? 0;
  return fromParts(groups.year, String(month), groups.day);
}

function fromParts(
  yearText: string | undefined,
  monthText: string | undefined,
  dayText: string | undefined,
): Omit<DateMatch, 'start' | 'end'> | null {
  if (yearText === undefined || monthText === undefined || dayText === undefined) return null;
  const shortYear = Number(yearText);
  const year = yearText.length === 2 ? (shortYear < 70 ? 2000 + shortYear : 1900 + shortYear) : shortYear;
  const month = Number(monthText);
  const day = Number(dayText);
  if (month < 1 || month > 12 || day < 1) return null;
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return null;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return { iso: `${year}-${pad(month)}-${pad(day)}`, ambiguous: false };
}

/**
 * Dates printed without separators, as till systems do in document numbers and delivery lines: an
 * 8-digit DDMMYYYY token, or an identifier of 12 digits or more starting with YYYYMMDD. Years 2000-2099.
 */
export function findCompactDates(text: string): string[] {
  const found: string[] = [];
  // OCR reads the leading 2 of a long number as Z.
  for (const [printed] of text.matchAll(/(?<![\d\p{L}])[Z\d]\d{7,}(?!\d)/gu)) {
    const token = printed.replace(/^Z/, '2');
    const reading =
      token.length === 8 && /^\d{4}20\d\d$/.test(token)
        ? fromParts(token.slice(4), token.slice(2, 4), token.slice(0, 2))
        : token.length >= 12 && token.startsWith('20')
          ? fromParts(token.slice(0, 4), token.slice(4, 6), token.slice(6, 8))
          : null;
    if (reading !== null) found.push(reading.iso);
  }
  return found;
}

const TIME = /(?<![\d:])(?<hour>[01]?\d|2[0-3])[:.](?<minute>[0-5]\d)(?::[0-5]\d)?(?:\s?(?<meridiem>[AaPp])\.?[Mm]\.?)?(?![\d:])/gu;

/** The first clock time in `text` as 24-hour HH:MM. */
export function findTime(text: string): { time: string; start: number; end: number } | null {
  for (const match of text.matchAll(TIME)) {
    const { hour: hourText, minute, meridiem } = match.groups ?? {};
    // "14.32" is a time only with am/pm; otherwise it is more likely an amount.
    if (match[0].includes('.') && meridiem === undefined && !/:/.test(match[0])) continue;
    let hour = Number(hourText);
    if (meridiem !== undefined) {
      if (hour < 1 || hour > 12) continue;
      hour = (hour % 12) + (meridiem.toLowerCase() === 'p' ? 12 : 0);
    }
    return { time: `${String(hour).padStart(2, '0')}:${minute ?? '00'}`, start: match.index, end: match.index + match[0].length };
  }
  return null;
}
