/**
 * Random but plausible invoice and receipt contents, and the printed forms of their values. The
 * printed form (date format, number convention, currency style) follows the document's locale, as on
 * real documents: a US invoice writes 03/05/2024 and $1,234.56, a German one 05.03.2024 and 1.234,56 €.
 */
import type { InvoiceData } from '../src/profiles/invoice.js';
import type { ReceiptData } from '../src/profiles/receipt.js';
import type { Random } from './random.js';

export type NumberStyle = 'en' | 'de' | 'ch' | 'plain';
export type CurrencyStyle = 'symbol' | 'code';
export type DateStyle = 'iso' | 'dmy-slash' | 'mdy-slash' | 'dmy-dot' | 'long-dmy' | 'long-mdy' | 'short-mdy' | 'dmy-mon';

export interface Locale {
  currency: string;
  symbol: string;
  /** The symbol follows the amount (1.234,56 €). */
  symbolAfter: boolean;
  numbers: NumberStyle;
  currencyStyle: CurrencyStyle;
  date: DateStyle;
  taxLabel: string;
  taxRate: number;
  companySuffix: string;
}

interface LocaleFamily {
  currency: string;
  symbol: string;
  numbers: readonly NumberStyle[];
  dates: readonly DateStyle[];
  taxes: readonly (readonly [string, number])[];
  suffixes: readonly string[];
}

const FAMILIES: readonly LocaleFamily[] = [
  {
    currency: 'USD',
    symbol: '$',
    numbers: ['en', 'en', 'plain'],
    dates: ['mdy-slash', 'long-mdy', 'short-mdy', 'iso'],
    taxes: [
      ['Sales tax', 0.0825],
      ['Tax', 0.07],
      ['Sales Tax', 0.06],
    ],
    suffixes: ['LLC', 'Inc.', 'Co.'],
  },
  {
    currency: 'EUR',
    symbol: '€',
    numbers: ['de', 'de', 'en'],
    dates: ['dmy-dot', 'dmy-slash', 'iso', 'long-dmy'],
    taxes: [
      ['VAT', 0.19],
      ['VAT', 0.21],
      ['VAT', 0.2],
    ],
    suffixes: ['GmbH', 'B.V.', 'S.A.'],
  },
  {
    currency: 'GBP',
    symbol: '£',
    numbers: ['en'],
    dates: ['dmy-slash', 'long-dmy', 'dmy-mon', 'iso'],
    taxes: [['VAT', 0.2]],
    suffixes: ['Ltd', 'Ltd.', 'plc'],
  },
  {
    currency: 'CHF',
    symbol: 'CHF',
    numbers: ['ch', 'en'],
    dates: ['dmy-dot', 'iso'],
    taxes: [['VAT', 0.081]],
    suffixes: ['AG', 'GmbH'],
  },
  {
    currency: 'CAD',
    symbol: 'C$',
    numbers: ['en'],
    dates: ['iso', 'long-mdy', 'dmy-mon'],
    taxes: [
      ['HST', 0.13],
      ['GST', 0.05],
    ],
    suffixes: ['Inc.', 'Ltd.'],
  },
  {
    currency: 'AUD',
    symbol: 'A$',
    numbers: ['en'],
    dates: ['dmy-slash', 'long-dmy'],
    taxes: [['GST', 0.1]],
    suffixes: ['Pty Ltd'],
  },
];

export function randomLocale(random: Random, weights: readonly number[] = [4, 4, 3, 1, 1, 1]): Locale {
  const total = weights.reduce((a, b) => a + b, 0);
  let roll = random.next() * total;
  let family = FAMILIES[0] as LocaleFamily;
  for (const [index, weight] of weights.entries()) {
    roll -= weight;
    if (roll < 0) {
      family = FAMILIES[index] ?? family;
      break;
    }
  }
  const [taxLabel, taxRate] = random.pick(family.taxes);
  const numbers = random.pick(family.numbers);
  return {
    currency: family.currency,
    symbol: family.symbol,
    symbolAfter: numbers === 'de' && family.symbol === '€',
    numbers,
    // A bare "$" is what US documents print; elsewhere codes are common too.
    currencyStyle: family.currency === 'USD' ? 'symbol' : random.pick(['symbol', 'code'] as const),
    date: random.pick(family.dates),
    taxLabel,
    taxRate,
    companySuffix: random.pick(family.suffixes),
  };
}

export function formatNumber(value: number, style: NumberStyle): string {
  const [whole = '0', cents = '00'] = Math.abs(value).toFixed(2).split('.');
  const group = (separator: string): string => whole.replace(/\B(?=(\d{3})+(?!\d))/g, separator);
  const sign = value < 0 ? '-' : '';
  switch (style) {
    case 'en':
      return `${sign}${group(',')}.${cents}`;
    case 'de':
      return `${sign}${group('.')},${cents}`;
    case 'ch':
      return `${sign}${group("'")}.${cents}`;
    case 'plain':
      return `${sign}${whole}.${cents}`;
  }
}

/** An amount with its currency as the locale prints totals. */
export function formatMoney(value: number, locale: Locale): string {
  const number = formatNumber(value, locale.numbers);
  if (locale.currencyStyle === 'code') return locale.symbolAfter ? `${number} ${locale.currency}` : `${locale.currency} ${number}`;
  if (locale.symbolAfter) return `${number} ${locale.symbol}`;
  return /^[A-Z]{2,}$/.test(locale.symbol) ? `${locale.symbol} ${number}` : `${locale.symbol}${number}`;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

export function formatDate(iso: string, style: DateStyle): string {
  const [year = '', month = '', day = ''] = iso.split('-');
  const monthName = MONTHS[Number(month) - 1] ?? '';
  const dayNumber = String(Number(day));
  switch (style) {
    case 'iso':
      return iso;
    case 'dmy-slash':
      return `${day}/${month}/${year}`;
    case 'mdy-slash':
      return `${month}/${day}/${year}`;
    case 'dmy-dot':
      return `${day}.${month}.${year}`;
    case 'long-dmy':
      return `${dayNumber} ${monthName} ${year}`;
    case 'long-mdy':
      return `${monthName} ${dayNumber}, ${year}`;
    case 'short-mdy':
      return `${monthName.slice(0, 3)} ${dayNumber}, ${year}`;
    case 'dmy-mon':
      return `${day}-${monthName.slice(0, 3)}-${year}`;
  }
}

export function randomIsoDate(random: Random): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${random.int(2021, 2025)}-${pad(random.int(1, 12))}-${pad(random.int(1, 28))}`;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

const VENDOR_FIRST = [
  'Acme',
  'Northwind',
  'Bluebird',
  'Granite',
  'Silverline',
  'Harbor',
  'Maple',
  'Redwood',
  'Summit',
  'Brightwave',
  'Oakridge',
  'Pioneer',
  'Evergreen',
  'Lakeside',
  'Ironbridge',
  'Kestrel',
  'Copperfield',
  'Westbrook',
];
const VENDOR_SECOND = [
  'Supplies',
  'Traders',
  'Consulting',
  'Logistics',
  'Design Studio',
  'Engineering',
  'Software',
  'Print Works',
  'Electrical',
  'Catering',
  'Office Solutions',
  'Analytics',
];
const SERVICES = [
  'Consulting services',
  'Website maintenance',
  'Office chairs',
  'Printer paper A4 (box)',
  'Software licence',
  'Delivery charge',
  'Network cabling',
  'Design workshop',
  'Cloud hosting (monthly)',
  'Training session',
  'Replacement toner',
  'LED panel 60x60',
  'Project management',
  'Installation labour',
  'Annual support plan',
  'Desk lamp',
];
const NUMBER_SHAPES = [
  (r: Random) => `INV-${r.int(2021, 2025)}-${String(r.int(1, 999)).padStart(4, '0')}`,
  (r: Random) => String(r.int(10000, 99999)),
  (r: Random) => `A-${r.int(1000, 9999)}`,
  (r: Random) => `${r.int(2021, 2025)}/${r.int(100, 999)}`,
  (r: Random) => `INV${String(r.int(1, 99999)).padStart(5, '0')}`,
  (r: Random) => `F${r.int(2021, 2025)}-${String(r.int(1, 999)).padStart(4, '0')}`,
];
const STREETS = ['High Street', 'Market Road', 'Station Lane', 'Harbour View', 'King Street', 'Elm Avenue', 'Mill Road'];
const CITIES = ['London', 'Berlin', 'Austin', 'Toronto', 'Zurich', 'Sydney', 'Leeds', 'Utrecht', 'Denver'];
const CUSTOMERS = [
  'Globex Corporation',
  'Initech Ltd',
  'Umbrella Foods',
  'Stark Industries',
  'Wayne Enterprises',
  'Hooli Inc.',
  'Vandelay Imports',
];

export interface InvoiceContent {
  truth: InvoiceData;
  locale: Locale;
  address: string[];
  customer: string[];
  dueDate: string;
}

export function randomInvoice(random: Random): InvoiceContent {
  const locale = randomLocale(random);
  const hours = random.chance(0.25);
  const lines = Array.from({ length: random.int(1, 8) }, () => {
    const quantity = hours ? random.pick([1, 1.5, 2, 2.5, 4, 6, 8, 12]) : random.int(1, 12);
    const unitPrice = round2(
      random.pick([random.int(2, 60), random.int(20, 400), random.int(100, 1800)]) + random.pick([0, 0.5, 0.99, 0.25, 0.75]),
    );
    return { description: random.pick(SERVICES), quantity, unit_price: unitPrice, total: round2(quantity * unitPrice) };
  });
  const subtotal = round2(lines.reduce((sum, line) => sum + line.total, 0));
  const tax = round2(subtotal * locale.taxRate);
  const date = randomIsoDate(random);
  const due = new Date(Date.parse(`${date}T00:00:00Z`) + random.pick([14, 30]) * 86_400_000).toISOString().slice(0, 10);
  const vendor = `${random.pick(VENDOR_FIRST)} ${random.pick(VENDOR_SECOND)} ${locale.companySuffix}`;
  return {
    truth: {
      vendor,
      invoice_number: random.pick(NUMBER_SHAPES)(random),
      date,
      currency: locale.currency,
      subtotal,
      tax,
      total: round2(subtotal + tax),
      line_items: lines,
    },
    locale,
    address: [`${random.int(1, 240)} ${random.pick(STREETS)}`, `${random.pick(CITIES)} ${random.int(10000, 99999)}`],
    customer: [random.pick(CUSTOMERS), `${random.int(1, 99)} ${random.pick(STREETS)}`, random.pick(CITIES)],
    dueDate: due,
  };
}

const MERCHANTS = [
  'CORNER CAFE',
  'Blue Bottle Deli',
  'GREENLEAF MARKET',
  'The Daily Grind',
  'HARBOR HARDWARE',
  'QUICKSTOP',
  'Luna Bakery',
  'PINE STREET PHARMACY',
  'Sunny Side Diner',
  'BOOK NOOK',
];
const GOODS = [
  'Coffee',
  'Latte large',
  'Croissant',
  'Bagel',
  'Orange juice',
  'Sandwich',
  'Milk',
  'Bananas',
  'Sourdough bread',
  'Eggs dozen',
  'Batteries AA',
  'Paper towels',
  'Chocolate bar',
  'Sparkling water',
  'Notebook',
  'Green tea',
  'Muffin',
  'Salad bowl',
];
const PAYMENTS = ['Visa', 'Mastercard', 'Cash', 'Debit card', 'American Express'];

export interface ReceiptContent {
  truth: ReceiptData;
  locale: Locale;
  address: string[];
}

export function randomReceipt(random: Random): ReceiptContent {
  const locale = randomLocale(random, [6, 3, 3, 0, 1, 0]);
  const items = Array.from({ length: random.int(1, 8) }, () => {
    const quantity = random.chance(0.7) ? 1 : random.int(2, 4);
    const unitPrice = round2(random.int(1, 24) + random.pick([0, 0.25, 0.49, 0.5, 0.75, 0.99]));
    return { description: random.pick(GOODS), quantity, unit_price: unitPrice, total: round2(quantity * unitPrice) };
  });
  const subtotal = round2(items.reduce((sum, item) => sum + item.total, 0));
  // European receipts usually show prices with VAT included and no separate tax line.
  const taxShown = locale.currency === 'USD' || locale.currency === 'CAD' || random.chance(0.4);
  const tax = taxShown ? round2(subtotal * locale.taxRate) : null;
  const tip = locale.currency === 'USD' && random.chance(0.3) ? round2(subtotal * random.pick([0.15, 0.18, 0.2])) : null;
  const hour = random.int(7, 21);
  const minute = random.int(0, 59);
  return {
    truth: {
      merchant: random.pick(MERCHANTS),
      date: randomIsoDate(random),
      time: `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`,
      currency: locale.currency,
      items,
      subtotal: taxShown || tip !== null ? subtotal : null,
      tax,
      tip,
      total: round2(subtotal + (tax ?? 0) + (tip ?? 0)),
      payment_method: random.pick(PAYMENTS),
    },
    locale,
    address: [`${random.int(1, 240)} ${random.pick(STREETS)}`, random.pick(CITIES)],
  };
}
