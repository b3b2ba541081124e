/** One labelled evaluation image, as generate.ts writes it and run.ts reads it. */
import type { InvoiceData } from '../src/profiles/invoice.js';
import type { ReceiptData } from '../src/profiles/receipt.js';
import type { Locale } from './documents.js';

interface SampleBase {
  id: string;
  variant: 'clean' | 'degraded';
  degradations: string[];
  layout: string;
  font: string;
  locale: Locale;
  /** File name beside this JSON. */
  image: string;
  mime: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
}

export type Sample =
  (SampleBase & { profile: 'invoice'; expected: InvoiceData }) | (SampleBase & { profile: 'receipt'; expected: ReceiptData });

export const OUT_DIR = new URL('./out/', import.meta.url);
export const SET_DIR = new URL('./out/set/', import.meta.url);
