/**
 * PDFs of a few KB that cost a renderer far more than their size, generated with pdf-lib so that no
 * hostile file is stored in the repository:
 *
 * - a stroke bomb: one page whose content stream draws `strokes` lines (compressed, it barely grows);
 * - an image bomb: `images` side x side RGB images on one page, each compressed twice with Flate (a
 *   PDF may chain filters), so 108 MB of pixels per 6000 x 6000 image take a few hundred bytes.
 *
 *   npx tsx test/reliability/support/documentBombs.ts DIR   writes stroke-bomb.pdf and image-bomb.pdf
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { PDFArray, PDFDocument, PDFName, PDFNumber, PDFRawStream } from 'pdf-lib';

/** US Letter, in points. */
const PAGE: [number, number] = [612, 792];

async function onePage(
  content: string,
  resources?: (doc: PDFDocument) => Record<string, PDFName | ReturnType<PDFDocument['context']['register']>>,
): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const page = doc.addPage(PAGE);
  const stream = doc.context.flateStream(content);
  page.node.set(PDFName.of('Contents'), doc.context.register(stream));
  if (resources !== undefined) {
    const xobjects = doc.context.obj({});
    for (const [name, ref] of Object.entries(resources(doc))) xobjects.set(PDFName.of(name), ref);
    page.node.normalizedEntries().Resources.set(PDFName.of('XObject'), xobjects);
  }
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}

export function strokeBomb(strokes: number): Promise<Buffer> {
  const lines: string[] = ['0.1 w'];
  // A short cycle of coordinates keeps the stream repetitive, so Flate shrinks it to a few KB.
  for (let i = 0; i < strokes; i++) lines.push(`${i % 600} 0 m ${600 - (i % 600)} 792 l S`);
  return onePage(lines.join('\n'));
}

export function imageBomb(images: number, side: number): Promise<Buffer> {
  const pixels = Buffer.alloc(side * side * 3, 0xff);
  const twice = deflateSync(deflateSync(pixels, { level: 9 }), { level: 9 });
  const names = Array.from({ length: images }, (_, i) => `Im${i}`);
  const draw = names.map((name, i) => `q ${PAGE[0] / images} 0 0 ${PAGE[1]} ${(i * PAGE[0]) / images} 0 cm /${name} Do Q`).join('\n');
  return onePage(draw, (doc) => {
    const filters = PDFArray.withContext(doc.context);
    filters.push(PDFName.of('FlateDecode'));
    filters.push(PDFName.of('FlateDecode'));
    const dict = doc.context.obj({ Type: 'XObject', Subtype: 'Image', ColorSpace: 'DeviceRGB', BitsPerComponent: 8 });
    dict.set(PDFName.of('Width'), PDFNumber.of(side));
    dict.set(PDFName.of('Height'), PDFNumber.of(side));
    dict.set(PDFName.of('Filter'), filters);
    // One stream per image: pdf.js decodes a shared stream once.
    return Object.fromEntries(names.map((name) => [name, doc.context.register(PDFRawStream.of(dict.clone(), twice))]));
  });
}

if (process.argv[1]?.endsWith('documentBombs.ts') === true) {
  const out = process.argv[2] ?? '.';
  writeFileSync(join(out, 'stroke-bomb.pdf'), await strokeBomb(50_000));
  writeFileSync(join(out, 'image-bomb.pdf'), await imageBomb(2, 6000));
}
