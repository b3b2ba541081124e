/** OCR output captured from real runs (eval/captureOcrFixtures.ts) with the ground truth of each document. */
import { readFileSync } from 'node:fs';
import type { InvoiceData } from '../../../../src/profiles/invoice.js';
import type { ReceiptData } from '../../../../src/profiles/receipt.js';
import type { OcrPage } from '../../../../src/ocr/ocrPage.js';

interface Fixture<T> {
  source: { seed: number; index: number; layout: string; degradations: string[] };
  expected: T;
  page: OcrPage;
}

const load = <T>(name: string): Fixture<T> =>
  JSON.parse(readFileSync(new URL(`../../../fixtures/ocr/${name}.json`, import.meta.url), 'utf8')) as Fixture<T>;

export const invoiceFixture = (name: string): Fixture<InvoiceData> => load<InvoiceData>(name);
export const receiptFixture = (name: string): Fixture<ReceiptData> => load<ReceiptData>(name);
