/**
 * Money amounts as printed: 1,234.56 and 1.234,56 and 1'234.56, with or without a currency symbol or
 * code before or after. The last separator followed by one or two digits is the decimal mark; a
 * separator followed by three digits groups thousands. Dates, times, percentages, phone numbers and
 * identifiers (digits glued to letters or dashes) are not amounts.
 */
import { currencyOfMarker } from './currency.js';

export interface AmountMatch {
  value: number;
  /** Printed with decimals (a price), not a bare count. */
  hasCents: boolean;
  /** ISO code when a symbol or code is printed next to the amount. */
  currency: string | null;
  /** That symbol or code as printed. */
  marker: string | null;
  /** Character range in the searched text, including any currency marker. */
  start: number;
  end: number;
}

const MARKER = String.raw`(?:US\$|CA?\$|AU?\$|NZ\$|[$€£¥₹]|\bRM|\b[A-Z]{3}\b)`;
const NUMBER = String.raw`\d{1,3}(?:[.,'’]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?`;
const AMOUNT = new RegExp(
  String.raw`(?<![\w.,/:\-])(?<sign>-\s?)?(?:(?<pre>${MARKER})\s?)?(?<number>${NUMBER})(?![\d%]|[.,/:\-]\d|\s?%)(?:\s?(?<post>${MARKER}))?`,
  'gu',
);

/** Every amount in `text`, left to right. */
export function findAmounts(text: string): AmountMatch[] {
  const matches: AmountMatch[] = [];
  for (const match of normaliseDigits(text).matchAll(AMOUNT)) {
    const { sign, pre, number, post } = match.groups ?? {};
    if (number === undefined) continue;
    const parsed = parseNumber(number);
    const marker = [pre, post].find((printed) => printed !== undefined && currencyOfMarker(printed) !== null) ?? null;
    const currency = marker === null ? null : currencyOfMarker(marker);
    // A three-letter word that is not a currency code is text next to a number, not part of it.
    const start = match.index + (pre !== undefined && currencyOfMarker(pre) === null ? match[0].indexOf(number) : 0);
    const end =
      post !== undefined && currencyOfMarker(post) === null ? match.index + match[0].lastIndexOf(post) : match.index + match[0].length;
    matches.push({ value: sign === undefined ? parsed.value : -parsed.value, hasCents: parsed.hasCents, currency, marker, start, end });
  }
  return matches;
}

/** The one amount that makes up `text` (a table cell, a value beside a label), or null. */
export function parseAmount(text: string): AmountMatch | null {
  const trimmed = text.trim();
  const [only, ...rest] = findAmounts(trimmed);
  if (only === undefined || rest.length > 0) return null;
  const outside = (trimmed.slice(0, only.start) + trimmed.slice(only.end)).replace(/[\s:()*]/g, '');
  return outside === '' ? only : null;
}

function parseNumber(raw: string): { value: number; hasCents: boolean } {
  const decimal = /[.,](\d{1,2})$/.exec(raw);
  const whole = (decimal === null ? raw : raw.slice(0, decimal.index)).replace(/[.,'’]/g, '');
  return { value: Number(`${whole}.${decimal?.[1] ?? '0'}`), hasCents: decimal?.[1]?.length === 2 };
}

/**
 * OCR reads a zero as O and a one as l or I inside numbers; fix only when digits surround them. Till
 * rolls' wide spacing splits "1.38" into "1. 38": the space moves behind the cents, keeping offsets.
 */
function normaliseDigits(text: string): string {
  return text
    .replace(/(?<=\d)([.,]) (\d{2})(?![\d.,])/gu, '$1$2 ')
    .replace(/(?<=\d[.,]?)[Oo](?=[\d.,]|$)|(?<=\d)[Oo]|[Oo](?=\d)/gu, '0')
    .replace(/(?<=\d)[lI](?=\d)/gu, '1');
}
