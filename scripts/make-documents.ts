/**
 * Writes the multi-page fixtures the document tests read into test/fixtures/documents/. Deterministic
 * and offline: PDFs are drawn with pdf-lib (no metadata dates), scans and TIFF pages with sharp from SVG
 * in the DejaVu fonts, and the encrypted PDFs are written by hand (pdf-lib cannot encrypt), so a rerun
 * with the same packages rewrites identical bytes.
 *
 *   npx tsx scripts/make-documents.ts
 *
 * invoice.pdf                one page with a text layer (the invoice of test/fixtures/invoice.png)
 * scanned-invoice.pdf        the same invoice as a 150-dpi greyscale scan: one image, no text layer
 * multipage-invoice.pdf      two pages with a text layer; the line items run over the page break and the
 *                            totals are on page 2 (multipage-invoice.expected.json is the ground truth)
 * encrypted.pdf              RC4-128 with the user password "secret": does not open without it
 * owner-encrypted.pdf        RC4-128 with an empty user password (permissions only): opens as usual
 * truncated.pdf              multipage-invoice.pdf cut at 60 % of its bytes
 * pages-200.pdf              200 small pages ("Page N of 200")
 * three-pages.tiff           three 1-bit CCITT G4 pages ("Page N of 3", a black square in a different corner each)
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PDFDocument, StandardFonts, type PDFFont, type PDFPage } from 'pdf-lib';
import sharp from 'sharp';
import type { InvoiceData, InvoiceLine } from '../src/profiles/invoice.js';

const FIXTURES = new URL('../test/fixtures/', import.meta.url);
const OUT = fileURLToPath(new URL('documents/', FIXTURES));
const FONT = 'DejaVu Sans';
/** US Letter, in points. */
const PAGE = { width: 612, height: 792 };
const SCAN_DPI = 150;

// ---- Invoices: one layout (points from the top-left), drawn by pdf-lib or as an SVG scan ----

interface TextOp {
  x: number;
  /** Baseline, from the top of the page. */
  y: number;
  size: number;
  text: string;
  bold?: boolean;
  /** `end`: x is the right edge. */
  anchor?: 'start' | 'end';
}

interface RuleOp {
  rule: { x0: number; x1: number; y: number };
}

type Op = TextOp | RuleOp;

const money = (value: number | null): string => (value ?? 0).toFixed(2);
const round2 = (n: number): number => Math.round(n * 100) / 100;

const COLUMNS = { description: 50, quantity: 380, unitPrice: 470, amount: 560 };
const ROW = 18;

function tableHeader(y: number): Op[] {
  return [
    { x: COLUMNS.description, y, size: 10, text: 'Description', bold: true },
    { x: COLUMNS.quantity, y, size: 10, text: 'Qty', bold: true, anchor: 'end' },
    { x: COLUMNS.unitPrice, y, size: 10, text: 'Unit price', bold: true, anchor: 'end' },
    { x: COLUMNS.amount, y, size: 10, text: 'Amount', bold: true, anchor: 'end' },
    { rule: { x0: 45, x1: 565, y: y + 6 } },
  ];
}

function rows(lines: readonly InvoiceLine[], top: number): Op[] {
  return lines.flatMap((line, i): Op[] => {
    const y = top + i * ROW;
    return [
      { x: COLUMNS.description, y, size: 10, text: line.description },
      { x: COLUMNS.quantity, y, size: 10, text: String(line.quantity ?? ''), anchor: 'end' },
      { x: COLUMNS.unitPrice, y, size: 10, text: money(line.unit_price), anchor: 'end' },
      { x: COLUMNS.amount, y, size: 10, text: money(line.total), anchor: 'end' },
    ];
  });
}

function header(invoice: InvoiceData): Op[] {
  return [
    { x: 50, y: 60, size: 18, text: invoice.vendor ?? '', bold: true },
    { x: 50, y: 78, size: 10, text: '1200 Harbor Way, Seattle, WA 98101' },
    { x: 560, y: 60, size: 24, text: 'INVOICE', bold: true, anchor: 'end' },
    { x: 560, y: 82, size: 11, text: `Invoice # ${invoice.invoice_number ?? ''}`, anchor: 'end' },
    { x: 560, y: 98, size: 11, text: `Date: ${invoice.date ?? ''}`, anchor: 'end' },
    { x: 50, y: 140, size: 11, text: 'Bill to:', bold: true },
    { x: 50, y: 156, size: 11, text: 'Contoso Ltd, 42 Market Street, Portland, OR 97204' },
  ];
}

function totals(invoice: InvoiceData, top: number): Op[] {
  return [
    { rule: { x0: 300, x1: 565, y: top - 12 } },
    { x: COLUMNS.unitPrice, y: top, size: 10, text: 'Subtotal', anchor: 'end' },
    { x: COLUMNS.amount, y: top, size: 10, text: money(invoice.subtotal), anchor: 'end' },
    { x: COLUMNS.unitPrice, y: top + ROW, size: 10, text: 'Tax (8%)', anchor: 'end' },
    { x: COLUMNS.amount, y: top + ROW, size: 10, text: money(invoice.tax), anchor: 'end' },
    { x: COLUMNS.unitPrice, y: top + 2 * ROW + 4, size: 12, text: `Total (${invoice.currency ?? ''})`, bold: true, anchor: 'end' },
    { x: COLUMNS.amount, y: top + 2 * ROW + 4, size: 12, text: `$${money(invoice.total)}`, bold: true, anchor: 'end' },
    { x: 50, y: 740, size: 9, text: 'Payment due within 30 days. Thank you for your business.' },
  ];
}

/** Every page of an invoice whose line items are split after `split[0]`, `split[1]`, ... rows. */
function invoicePages(invoice: InvoiceData, split: readonly number[]): Op[][] {
  const bounds = [0, ...split, invoice.line_items.length];
  const pageCount = bounds.length - 1;
  return Array.from({ length: pageCount }, (_, index) => {
    const lines = invoice.line_items.slice(bounds[index], bounds[index + 1]);
    const first = index === 0;
    const lastPage = index === pageCount - 1;
    const top = first ? 200 : 110;
    const ops: Op[] = first
      ? header(invoice)
      : [{ x: 50, y: 60, size: 12, text: `${invoice.vendor ?? ''} - Invoice # ${invoice.invoice_number ?? ''} (continued)`, bold: true }];
    ops.push(...tableHeader(top), ...rows(lines, top + 22));
    const after = top + 22 + lines.length * ROW + 20;
    if (lastPage) ops.push(...totals(invoice, after));
    else ops.push({ x: 560, y: after, size: 9, text: `Continued on page ${index + 2}`, anchor: 'end' });
    if (pageCount > 1) ops.push({ x: 560, y: 770, size: 9, text: `Page ${index + 1} of ${pageCount}`, anchor: 'end' });
    return ops;
  });
}

const isRule = (op: Op): op is RuleOp => 'rule' in op;

async function pdfOf(pages: readonly Op[][]): Promise<Buffer> {
  // No producer, creator or dates: the bytes depend on the content only.
  const doc = await PDFDocument.create({ updateMetadata: false });
  const regular = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  for (const ops of pages) {
    const page = doc.addPage([PAGE.width, PAGE.height]);
    for (const op of ops) draw(page, op, regular, bold);
  }
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}

function draw(page: PDFPage, op: Op, regular: PDFFont, bold: PDFFont): void {
  if (isRule(op)) {
    page.drawLine({
      start: { x: op.rule.x0, y: PAGE.height - op.rule.y },
      end: { x: op.rule.x1, y: PAGE.height - op.rule.y },
      thickness: 0.75,
    });
    return;
  }
  const font = op.bold === true ? bold : regular;
  const width = op.anchor === 'end' ? font.widthOfTextAtSize(op.text, op.size) : 0;
  page.drawText(op.text, { x: op.x - width, y: PAGE.height - op.y, size: op.size, font });
}

const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A page as a scanner would deliver it: greyscale pixels at SCAN_DPI, no text. */
async function scanOf(ops: readonly Op[]): Promise<Buffer> {
  const scale = SCAN_DPI / 72;
  const body = ops
    .map((op) =>
      isRule(op)
        ? `<line x1="${op.rule.x0}" y1="${op.rule.y}" x2="${op.rule.x1}" y2="${op.rule.y}" stroke="#222222" stroke-width="0.75"/>`
        : `<text x="${op.x}" y="${op.y}" font-size="${op.size}" text-anchor="${op.anchor ?? 'start'}"${op.bold === true ? ' font-weight="bold"' : ''}>${escapeXml(op.text)}</text>`,
    )
    .join('');
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${PAGE.width * scale}" height="${PAGE.height * scale}" viewBox="0 0 ${PAGE.width} ${PAGE.height}" font-family="${FONT}">` +
    `<rect width="100%" height="100%" fill="#fbfbf8"/>${body}</svg>`;
  return sharp(Buffer.from(svg)).greyscale().jpeg({ quality: 70 }).toBuffer();
}

async function scannedPdf(pages: readonly Op[][]): Promise<Buffer> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  for (const ops of pages) {
    const image = await doc.embedJpg(await scanOf(ops));
    doc.addPage([PAGE.width, PAGE.height]).drawImage(image, { x: 0, y: 0, width: PAGE.width, height: PAGE.height });
  }
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}

/** 20 office-supply lines: enough that the table runs over a page break. */
function multipageInvoice(): InvoiceData {
  const items: [string, number, number][] = [
    ['A4 copy paper, 500 sheets', 10, 4.5],
    ['Ballpoint pens, box of 12', 3, 6.25],
    ['Stapler, heavy duty', 1, 24.99],
    ['Staples 26/6, box of 5000', 4, 2.1],
    ['Lever arch files, pack of 10', 2, 17.4],
    ['Sticky notes 76x76, 12 pads', 5, 7.95],
    ['Whiteboard markers, set of 4', 6, 5.6],
    ['Desk organiser, mesh', 2, 13.75],
    ['Envelopes C5, box of 500', 1, 21.3],
    ['Printer toner, black', 2, 64.9],
    ['Highlighters, assorted 6', 4, 3.85],
    ['Paper clips 33 mm, 1000', 3, 2.45],
    ['Correction tape, 10 pack', 1, 11.2],
    ['Notebooks A5 ruled, 5 pack', 6, 8.7],
    ['Scissors 21 cm', 3, 4.2],
    ['Hole punch, 2-hole', 1, 15.6],
    ['Index dividers A-Z', 5, 2.95],
    ['Laminating pouches A4, 100', 1, 18.9],
    ['Cable ties, 200 pack', 2, 6.4],
    ['Monitor stand, adjustable', 1, 39.99],
  ];
  const line_items = items.map(([description, quantity, unit_price]) => ({
    description,
    quantity,
    unit_price,
    total: round2(quantity * unit_price),
  }));
  const subtotal = round2(line_items.reduce((sum, line) => sum + line.total, 0));
  const tax = round2(subtotal * 0.08);
  return {
    vendor: 'Northwind Office Supply Co.',
    invoice_number: 'INV-2077',
    date: '2024-04-02',
    currency: 'USD',
    subtotal,
    tax,
    total: round2(subtotal + tax),
    line_items,
  };
}

// ---- Encrypted PDFs, written by hand: the standard security handler, revision 3 (RC4, 128-bit) ----

/** The padding string of the standard security handler (ISO 32000-1, 7.6.3.3). */
const PASSWORD_PAD = Buffer.from('28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a', 'hex');

const md5 = (...parts: Buffer[]): Buffer => createHash('md5').update(Buffer.concat(parts)).digest();

/** RC4 by hand: OpenSSL 3 leaves it out of its default provider. */
function rc4(key: Buffer, data: Buffer): Buffer {
  const s = Array.from({ length: 256 }, (_, i) => i);
  let j = 0;
  for (let i = 0; i < 256; i++) {
    j = (j + (s[i] ?? 0) + (key[i % key.length] ?? 0)) & 255;
    [s[i], s[j]] = [s[j] ?? 0, s[i] ?? 0];
  }
  const out = Buffer.alloc(data.length);
  let a = 0;
  let b = 0;
  for (let k = 0; k < data.length; k++) {
    a = (a + 1) & 255;
    b = (b + (s[a] ?? 0)) & 255;
    [s[a], s[b]] = [s[b] ?? 0, s[a] ?? 0];
    out[k] = (data[k] ?? 0) ^ (s[((s[a] ?? 0) + (s[b] ?? 0)) & 255] ?? 0);
  }
  return out;
}

const padPassword = (password: string): Buffer => Buffer.concat([Buffer.from(password, 'latin1'), PASSWORD_PAD]).subarray(0, 32);

/** Revision 3 applies RC4 twenty times, with the key XORed with 0..19. */
function rc4Twenty(key: Buffer, data: Buffer): Buffer {
  let out = data;
  for (let i = 0; i < 20; i++) out = rc4(Buffer.from(key.map((byte) => byte ^ i)), out);
  return out;
}

function md5Fifty(hash: Buffer): Buffer {
  let out = hash;
  for (let i = 0; i < 50; i++) out = md5(out.subarray(0, 16));
  return out.subarray(0, 16);
}

interface Encryption {
  dictionary: string;
  /** Encrypts a string or stream of object `number` (generation 0). */
  encrypt(number: number, data: Buffer): Buffer;
}

/** Algorithms 2, 3 and 5 of ISO 32000-1, 7.6.3.3-7.6.3.4, revision 3, 128-bit key. */
function standardSecurity(userPassword: string, ownerPassword: string, id: Buffer): Encryption {
  // -3904: print and copy allowed, the rest not; the value only matters to readers that honour it.
  const permissions = -3904;
  const ownerKey = md5Fifty(md5(padPassword(ownerPassword)));
  const owner = rc4Twenty(ownerKey, padPassword(userPassword));
  const p = Buffer.alloc(4);
  p.writeInt32LE(permissions);
  const fileKey = md5Fifty(md5(padPassword(userPassword), owner, p, id));
  const user = Buffer.concat([rc4Twenty(fileKey, md5(PASSWORD_PAD, id)), Buffer.alloc(16)]);
  return {
    dictionary: `<< /Filter /Standard /V 2 /R 3 /Length 128 /P ${permissions} /O <${owner.toString('hex')}> /U <${user.toString('hex')}> >>`,
    encrypt(number, data) {
      const object = Buffer.from([number & 255, (number >> 8) & 255, (number >> 16) & 255, 0, 0]);
      return rc4(md5(fileKey, object), data);
    },
  };
}

/** A one-page PDF with one line of Helvetica, its content stream encrypted; the xref offsets are computed. */
function encryptedPdf(userPassword: string, ownerPassword: string): Buffer {
  const id = md5(Buffer.from(`blob-vision-worker fixture ${userPassword}/${ownerPassword}`));
  const security = standardSecurity(userPassword, ownerPassword, id);
  const content = security.encrypt(4, Buffer.from('BT /F1 24 Tf 72 700 Td (Confidential: salaries 2024) Tj ET'));
  const objects: Buffer[] = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'),
    Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),
    Buffer.from(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE.width} ${PAGE.height}] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>`,
    ),
    Buffer.concat([Buffer.from(`<< /Length ${content.length} >>\nstream\n`), content, Buffer.from('\nendstream')]),
    Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'),
    Buffer.from(security.dictionary),
  ];
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  const offsets: number[] = [];
  let length = parts[0]?.length ?? 0;
  objects.forEach((body, index) => {
    offsets.push(length);
    const object = Buffer.concat([Buffer.from(`${index + 1} 0 obj\n`), body, Buffer.from('\nendobj\n')]);
    parts.push(object);
    length += object.length;
  });
  const xref =
    `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n` +
    offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('') +
    `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Encrypt 6 0 R /ID [<${id.toString('hex')}> <${id.toString('hex')}>] >>\n` +
    `startxref\n${length}\n%%EOF\n`;
  return Buffer.concat([...parts, Buffer.from(xref)]);
}

// ---- Many pages, and a multi-page TIFF ----

async function pages200(): Promise<Buffer> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let n = 1; n <= 200; n++) doc.addPage([144, 144]).drawText(`Page ${n} of 200`, { x: 18, y: 66, size: 14, font });
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}

/** Each page says its number and has a black square in a different corner, so a test can tell the pages apart. */
async function threePageTiff(): Promise<Buffer> {
  const width = 600;
  const height = 400;
  const corners = [
    [20, 20],
    [500, 20],
    [20, 300],
  ];
  const pages = await Promise.all(
    corners.map(([x, y], index) =>
      sharp(
        Buffer.from(
          `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="${FONT}">` +
            `<rect width="100%" height="100%" fill="#ffffff"/><rect x="${x}" y="${y}" width="80" height="80" fill="#000000"/>` +
            `<text x="300" y="215" font-size="48" text-anchor="middle">Page ${index + 1} of 3</text></svg>`,
        ),
      )
        .greyscale()
        .raw()
        .toBuffer(),
    ),
  );
  return sharp(Buffer.concat(pages), { raw: { width, height: height * pages.length, channels: 1, pageHeight: height } })
    .toColourspace('b-w')
    .tiff({ compression: 'ccittfax4', bitdepth: 1 })
    .toBuffer();
}

// ---- Write ----

mkdirSync(OUT, { recursive: true });
const write = (name: string, bytes: Buffer | string): void => {
  writeFileSync(`${OUT}${name}`, bytes);
  console.log(`${name.padEnd(36)} ${Buffer.byteLength(bytes)} bytes`);
};

// The one-page invoice is the invoice.png fixture's, so the same ground truth serves both.
const single = JSON.parse(readFileSync(new URL('invoice.expected.json', FIXTURES), 'utf8')) as InvoiceData;
const multi = multipageInvoice();
const multiPdf = await pdfOf(invoicePages(multi, [12]));

write('invoice.pdf', await pdfOf(invoicePages(single, [])));
write('scanned-invoice.pdf', await scannedPdf(invoicePages(single, [])));
write('multipage-invoice.pdf', multiPdf);
write('multipage-invoice.expected.json', `${JSON.stringify(multi, null, 2)}\n`);
write('encrypted.pdf', encryptedPdf('secret', 'owner-secret'));
write('owner-encrypted.pdf', encryptedPdf('', 'owner-secret'));
write('truncated.pdf', multiPdf.subarray(0, Math.floor(multiPdf.length * 0.6)));
write('pages-200.pdf', await pages200());
write('three-pages.tiff', await threePageTiff());
