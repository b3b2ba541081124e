/** Currencies from the ISO codes, named currencies and symbols printed beside amounts on a document. */

const CURRENCY_CODES: ReadonlySet<string> = new Set([
  'USD',
  'EUR',
  'GBP',
  'CHF',
  'CAD',
  'AUD',
  'NZD',
  'JPY',
  'CNY',
  'INR',
  'SEK',
  'NOK',
  'DKK',
  'PLN',
  'CZK',
  'HUF',
  'ZAR',
  'SGD',
  'HKD',
  'MXN',
  'BRL',
  'TRY',
  'AED',
  'ILS',
  'KRW',
  'MYR',
]);

/** Longest markers first so that `C$` is not read as `$`. */
const SYMBOLS: readonly (readonly [string, string])[] = [
  ['US$', 'USD'],
  ['CA$', 'CAD'],
  ['AU$', 'AUD'],
  ['NZ$', 'NZD'],
  ['C$', 'CAD'],
  ['A$', 'AUD'],
  ['$', 'USD'],
  ['€', 'EUR'],
  ['£', 'GBP'],
  ['¥', 'JPY'],
  ['₹', 'INR'],
  ['RM', 'MYR'],
];

/** The ISO code for a symbol or code printed beside an amount, or null when it is not one. */
export function currencyOfMarker(marker: string): string | null {
  const trimmed = marker.trim();
  if (CURRENCY_CODES.has(trimmed)) return trimmed;
  return SYMBOLS.find(([symbol]) => symbol === trimmed)?.[1] ?? null;
}

export interface CurrencyFinding {
  code: string;
  /** Share of the currency markers on the page that agree, 0..1. */
  agreement: number;
  /** The marker as printed, for evidence. */
  marker: string;
}

/** A code anywhere, or a currency named in a column heading ("Amount (RM)") or in words ("RINGGIT"). */
const STATED = new RegExp(
  String.raw`\b(?<code>${[...CURRENCY_CODES].join('|')})\b|\((?<symbol>${SYMBOLS.map(([symbol]) => symbol.replace(/\$/g, '\\$')).join('|')})\)|\b(?<word>ringgit|euros?|dollars?|pounds?\s+sterling|francs?|yen)\b`,
  'giu',
);
const WORDS: Readonly<Record<string, string>> = { ringgit: 'MYR', euro: 'EUR', euros: 'EUR', yen: 'JPY' };

/** Weight a currency needs: a code, a heading, or two amounts printed with its symbol. */
const MIN_SUPPORT = 2;

/** A `$` is a dollar of some country: without a code it is never reported with high confidence. */
const AMBIGUOUS = new Set(['$']);

/**
 * The currency the page supports with evidence: ISO codes and currencies named in headings or words
 * (weight 2), symbols printed against an amount (weight 1). Symbols elsewhere are OCR noise as often as
 * not, and are not counted. `amountMarkers` are the markers printed beside amounts with cents; the one on
 * the total (`totalMarker`) weighs as much as a code.
 */
export function detectCurrency(text: string, amountMarkers: readonly string[], totalMarker: string | null = null): CurrencyFinding | null {
  const votes = new Map<string, { weight: number; marker: string }>();
  let total = 0;
  const vote = (code: string | null | undefined, marker: string, weight: number): void => {
    if (code === null || code === undefined) return;
    total += weight;
    const current = votes.get(code);
    votes.set(code, { weight: (current?.weight ?? 0) + weight, marker: current?.marker ?? marker });
  };
  for (const match of text.matchAll(STATED)) {
    const { code, symbol, word } = match.groups ?? {};
    if (code !== undefined) vote(code.toUpperCase() === code ? code : null, code, 2);
    else if (symbol !== undefined) vote(currencyOfMarker(symbol), match[0], 2);
    else if (word !== undefined) vote(WORDS[word.toLowerCase()] ?? null, word, 2);
  }
  for (const marker of amountMarkers) vote(currencyOfMarker(marker), marker, 1);
  if (totalMarker !== null) vote(currencyOfMarker(totalMarker), totalMarker, 1);
  const [best] = [...votes.entries()].sort((a, b) => b[1].weight - a[1].weight);
  // One symbol is one reading, and OCR reads "@" as "€" and a stray mark as "£": not evidence enough.
  if (best === undefined || best[1].weight < MIN_SUPPORT) return null;
  const support = Math.min(AMBIGUOUS.has(best[1].marker) ? 0.25 : 1, best[1].weight / 4);
  return { code: best[0], agreement: (best[1].weight / total) * support, marker: best[1].marker };
}
