/**
 * Run with --expose-gc: draws real multi-page PDFs `concurrency` at a time for `rounds` rounds through
 * pdfSource.ts, and encodes canvases that nothing holds the same way, with full GCs forced all along.
 * With @napi-rs/canvas 0.1.100 the unheld encodes segfaulted 3 of 3 runs (Brooooooklyn/canvas#1312).
 * Prints one JSON line with the counts; exits non-zero (or by a signal) when it fails.
 *
 *   node --expose-gc --import tsx test/reliability/support/concurrentRenders.ts CONCURRENCY ROUNDS
 */
import { readFileSync } from 'node:fs';
import { createCanvas } from '@napi-rs/canvas';
import { openPdf } from '../../../src/documents/pdfSource.js';
import { DOCUMENT_DEFAULTS } from '../../support/renderSettings.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');
const [concurrency = 12, rounds = 3] = process.argv.slice(2).map(Number);
const documents = ['invoice.pdf', 'multipage-invoice.pdf', 'scanned-invoice.pdf'].map((name) =>
  readFileSync(new URL(`../../fixtures/documents/${name}`, import.meta.url)),
);
const PNG_SIGNATURE = 0x89504e47;
const isPng = (bytes: Uint8Array): boolean => bytes.length > 1000 && Buffer.from(bytes).readUInt32BE(0) === PNG_SIGNATURE;

/** A letter page at 300 dpi, as OCR gets it. */
const OCR_PAGE = { width: 2550, height: 3300 };

async function drawDocument(bytes: Buffer): Promise<number> {
  const source = await openPdf(bytes, 100_000_000, DOCUMENT_DEFAULTS.pdf);
  try {
    for (let page = 1; page <= source.pageCount; page++) {
      if (!isPng(await source.renderPage(page, OCR_PAGE))) throw new Error(`page ${page} is not a PNG`);
    }
    return source.pageCount;
  } finally {
    await source.close();
  }
}

/** What #1312 needs: an encode on the threadpool whose canvas is already unreachable. */
function unheldEncode(): Promise<Buffer> {
  const canvas = createCanvas(1700, 2200);
  const context = canvas.getContext('2d');
  context.fillStyle = '#000';
  for (let y = 20; y < 2200; y += 24) context.fillRect(20, y, 1600, 3);
  return canvas.encode('png');
}

const pressure = setInterval(gc, 2);
let pages = 0;
let encodes = 0;
for (let round = 0; round < rounds; round++) {
  const drawn = await Promise.all(
    Array.from({ length: concurrency }, (_, i) => drawDocument(documents[i % documents.length] ?? Buffer.alloc(0))),
  );
  pages += drawn.reduce((sum, n) => sum + n, 0);
  for (let burst = 0; burst < 30; burst++) {
    const encoded = await Promise.all(Array.from({ length: concurrency }, () => (gc(), unheldEncode())));
    if (!encoded.every(isPng)) throw new Error('an encode returned something other than a PNG');
    encodes += encoded.length;
  }
}
clearInterval(pressure);
console.log(JSON.stringify({ concurrency, rounds, pages, encodes }));
