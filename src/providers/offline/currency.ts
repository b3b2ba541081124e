/** Currencies from the symbols and ISO codes printed on a document. */

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

const MARKERS = new RegExp(
  `${SYMBOLS.map(([symbol]) => symbol.replace(/\$/g, '\\$')).join('|')}|\\b(?:${[...CURRENCY_CODES].join('|')})\\b`,
  'gu',
);

/** The currency most often printed on the page (a code counts twice: it is unambiguous). */
export function detectCurrency(text: string): CurrencyFinding | null {
  const votes = new Map<string, { weight: number; marker: string }>();
  let total = 0;
  for (const [marker] of text.matchAll(MARKERS)) {
    const code = currencyOfMarker(marker);
    if (code === null) continue;
    const weight = marker === code ? 2 : 1;
    total += weight;
    const vote = votes.get(code);
    votes.set(code, { weight: (vote?.weight ?? 0) + weight, marker: vote?.marker ?? marker });
  }
  const [best] = [...votes.entries()].sort((a, b) => b[1].weight - a[1].weight);
  return best === undefined ? null : { code: best[0], agreement: best[1].weight / total, marker: best[1].marker };
}
