/**
 * A scanned PDF of `pages` US Letter pages, generated with pdf-lib: every page is one greyscale image of
 * paper grain (light noise, which OCR's paper whitening removes) scanned at `dpi`, so each page's
 * 300-dpi rendering is a PNG of MBs, as a real scan's is (7.4 MiB at 300 dpi, 2 MiB at 150), while OCR
 * finds nothing to read and is quick.
 *
 *   npx tsx test/support/scannedPdf.ts OUT.pdf PAGES [DPI]
 */
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { PDFDocument, PDFName, PDFNumber, PDFRawStream } from 'pdf-lib';

/** US Letter, in points. */
const PAGE: [number, number] = [612, 792];
const POINTS_PER_INCH = 72;
const PAPER = 240;
const GRAIN = 16;

/** Deterministic grain (xorshift32), so a rerun writes the same bytes. */
function grain(width: number, height: number): Buffer {
  const pixels = Buffer.alloc(width * height);
  let state = 2463534242;
  for (let i = 0; i < pixels.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    pixels[i] = PAPER - GRAIN / 2 + ((state >>> 0) % GRAIN);
  }
  return pixels;
}

export async function scannedPdf(pages: number, dpi = 300): Promise<Buffer> {
  const width = Math.round((PAGE[0] * dpi) / POINTS_PER_INCH);
  const height = Math.round((PAGE[1] * dpi) / POINTS_PER_INCH);
  const doc = await PDFDocument.create({ updateMetadata: false });
  const dict = doc.context.obj({ Type: 'XObject', Subtype: 'Image', ColorSpace: 'DeviceGray', BitsPerComponent: 8, Filter: 'FlateDecode' });
  dict.set(PDFName.of('Width'), PDFNumber.of(width));
  dict.set(PDFName.of('Height'), PDFNumber.of(height));
  // One image drawn on every page: the file stays small, each page is still drawn in full.
  const image = doc.context.register(PDFRawStream.of(dict, deflateSync(grain(width, height))));
  for (let i = 0; i < pages; i++) {
    const page = doc.addPage(PAGE);
    page.node.set(PDFName.of('Contents'), doc.context.register(doc.context.flateStream(`q ${PAGE[0]} 0 0 ${PAGE[1]} 0 0 cm /Scan Do Q`)));
    page.node.normalizedEntries().Resources.set(PDFName.of('XObject'), doc.context.obj({ Scan: image }));
  }
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}

if (process.argv[1]?.endsWith('scannedPdf.ts') === true) {
  writeFileSync(process.argv[2] ?? 'scanned.pdf', await scannedPdf(Number(process.argv[3] ?? 20), Number(process.argv[4] ?? 300)));
}
