/**
 * Writes the small real images the tests read into test/fixtures/. Deterministic: pixels come from a
 * seeded generator and text is rendered with the DejaVu fonts, so a rerun with the same sharp rewrites
 * identical bytes.
 *
 *   npx tsx scripts/make-fixtures.ts          all fixtures except photo.heic
 *   npx tsx scripts/make-fixtures.ts --heic   photo.heic too (needs `heif-enc` on PATH)
 *
 * photo.heic is committed rather than made on every run: sharp's prebuilt libvips has no HEVC encoder.
 * It was made once with `--heic`, using Debian bookworm's libheif-examples 1.15.1 (x265 3.5):
 * `heif-enc -q 50 -o test/fixtures/photo.heic <the 64x48 PNG makeHeic() renders>`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp, { type Sharp } from 'sharp';
import type { InvoiceData } from '../src/profiles/invoice.js';

const OUT = fileURLToPath(new URL('../test/fixtures/', import.meta.url));
const FONT = 'DejaVu Sans';

/** mulberry32: a tiny seeded PRNG, so "random" pixels are the same on every run. */
function prng(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const clamp = (value: number): number => Math.max(0, Math.min(255, Math.round(value)));

/**
 * A landscape with noise, sky and a sun, like a camera photo. With `marker` the top-left 48x48 is pure red, so a
 * test can tell whether the EXIF orientation was applied.
 */
function photoPixels(width: number, height: number, seed: number, marker: boolean): Sharp {
  const random = prng(seed);
  const pixels = Buffer.alloc(width * height * 3);
  const horizon = height * 0.6;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const noise = (random() - 0.5) * 40;
      const ridge = horizon + Math.sin(x / (width / 9)) * height * 0.06;
      const sun = Math.hypot(x - width * 0.75, y - height * 0.25) < height * 0.1;
      let rgb: [number, number, number];
      if (marker && x < 48 && y < 48) rgb = [255, 0, 0];
      else if (sun) rgb = [250 + noise / 8, 215 + noise / 2, 90 + noise];
      else if (y < ridge) rgb = [90 + y / 3 + noise, 140 + y / 4 + noise, 230 - y / 6 + noise];
      else rgb = [70 + noise + (y - ridge) / 2, 120 + noise - (y - ridge) / 4, 50 + noise];
      pixels.set(rgb.map(clamp), (y * width + x) * 3);
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } });
}

const svg = (width: number, height: number, body: string): Sharp =>
  sharp(
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="${FONT}">` +
        `<rect width="100%" height="100%" fill="#ffffff"/>${body}</svg>`,
    ),
  );

const text = (x: number, y: number, size: number, value: string, extra = ''): string =>
  `<text x="${x}" y="${y}" font-size="${size}" ${extra}>${value}</text>`;

const INVOICE: InvoiceData = {
  vendor: 'Northwind Office Supply Co.',
  invoice_number: 'INV-1042',
  date: '2024-03-15',
  currency: 'USD',
  subtotal: 88.74,
  tax: 7.1,
  total: 95.84,
  line_items: [
    { description: 'A4 copy paper, 500 sheets', quantity: 10, unit_price: 4.5, total: 45 },
    { description: 'Ballpoint pens, box of 12', quantity: 3, unit_price: 6.25, total: 18.75 },
    { description: 'Stapler, heavy duty', quantity: 1, unit_price: 24.99, total: 24.99 },
  ],
};

const money = (value: number): string => value.toFixed(2);

function invoice(): Sharp {
  const right = (x: number, y: number, value: string, extra = ''): string => text(x, y, 16, value, `text-anchor="end" ${extra}`);
  const rows = INVOICE.line_items
    .map((item, i) => {
      const y = 380 + i * 36;
      return (
        text(60, y, 16, item.description) +
        right(470, y, String(item.quantity)) +
        right(600, y, money(item.unit_price ?? 0)) +
        right(740, y, money(item.total ?? 0))
      );
    })
    .join('');
  const body = [
    text(60, 80, 24, INVOICE.vendor ?? '', 'font-weight="bold"'),
    text(60, 110, 15, '1200 Harbor Way, Seattle, WA 98101'),
    text(540, 80, 34, 'INVOICE', 'font-weight="bold" fill="#1f3a5f"'),
    text(540, 120, 16, `Invoice # ${INVOICE.invoice_number ?? ''}`),
    text(540, 146, 16, `Date: ${INVOICE.date ?? ''}`),
    text(60, 200, 16, 'Bill to:', 'font-weight="bold"'),
    text(60, 226, 16, 'Contoso Ltd, 42 Market Street, Portland, OR 97204'),
    '<rect x="50" y="310" width="700" height="34" fill="#e8edf3"/>',
    text(60, 333, 16, 'Description', 'font-weight="bold"'),
    right(470, 333, 'Qty', 'font-weight="bold"'),
    right(600, 333, 'Unit price', 'font-weight="bold"'),
    right(740, 333, 'Amount', 'font-weight="bold"'),
    rows,
    '<line x1="50" y1="500" x2="750" y2="500" stroke="#333333"/>',
    right(600, 540, 'Subtotal'),
    right(740, 540, money(INVOICE.subtotal ?? 0)),
    right(600, 572, 'Tax (8%)'),
    right(740, 572, money(INVOICE.tax ?? 0)),
    right(600, 610, 'Total (USD)', 'font-weight="bold"'),
    right(740, 610, `$${money(INVOICE.total ?? 0)}`, 'font-weight="bold"'),
    text(60, 720, 14, 'Payment due within 30 days. Thank you for your business.', 'fill="#555555"'),
  ].join('');
  return svg(800, 800, body);
}

/** Flat fills, a title bar, a sidebar, a button and UI text, like a desktop screenshot. */
function screenshot(width = 640, height = 400): Sharp {
  const menu = ['Inbox', 'Drafts', 'Sent', 'Archive', 'Settings']
    .map((item, i) => text(20, 80 + i * 30, 14, item, i === 0 ? 'font-weight="bold"' : 'fill="#333333"'))
    .join('');
  const body = [
    `<rect width="${width}" height="36" fill="#2d2d30"/>`,
    text(14, 24, 14, 'Mail - Inbox', 'fill="#ffffff"'),
    `<rect y="36" width="150" height="${height - 36}" fill="#f3f3f3"/>`,
    menu,
    text(175, 76, 20, 'Quarterly report is ready', 'font-weight="bold"'),
    text(175, 104, 13, 'From: reports@example.com', 'fill="#555555"'),
    text(175, 140, 14, 'Hello team, the figures for Q1 are attached.'),
    text(175, 164, 14, 'Please review them before Friday.'),
    '<rect x="175" y="200" width="300" height="30" fill="#ffffff" stroke="#8a8a8a"/>',
    text(183, 220, 13, 'Type a reply...', 'fill="#8a8a8a"'),
    '<rect x="490" y="200" width="90" height="30" rx="3" fill="#0078d4"/>',
    text(535, 220, 14, 'Send', 'fill="#ffffff" text-anchor="middle"'),
  ].join('');
  return svg(width, height, body);
}

/** A bar chart: white ground, axes, saturated bars, labels. */
function chart(): Sharp {
  const values = [120, 180, 90, 210, 150];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May'];
  const colours = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4'];
  const bars = values
    .map((value, i) => {
      const x = 80 + i * 75;
      return (
        `<rect x="${x}" y="${280 - value}" width="50" height="${value}" fill="${colours[i] ?? '#000000'}"/>` +
        text(x + 25, 300, 13, months[i] ?? '', 'text-anchor="middle"')
      );
    })
    .join('');
  const body = [
    text(240, 30, 18, 'Sales by month', 'text-anchor="middle" font-weight="bold"'),
    '<line x1="60" y1="40" x2="60" y2="280" stroke="#000000" stroke-width="2"/>',
    '<line x1="60" y1="280" x2="460" y2="280" stroke="#000000" stroke-width="2"/>',
    bars,
  ].join('');
  return svg(480, 320, body);
}

/** Three solid frames (red, green, blue), each with a white square at a different place. */
async function animatedGif(): Promise<Buffer> {
  const width = 48;
  const height = 32;
  const colours = [
    [255, 0, 0],
    [0, 160, 0],
    [0, 0, 255],
  ];
  const pixels = Buffer.alloc(width * height * colours.length * 3);
  colours.forEach((rgb, frame) => {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const square = y >= 8 && y < 24 && x >= 4 + frame * 14 && x < 16 + frame * 14;
        pixels.set(square ? [255, 255, 255] : rgb, ((frame * height + y) * width + x) * 3);
      }
    }
  });
  return sharp(pixels, { raw: { width, height: height * colours.length, channels: 3, pageHeight: height } })
    .gif({ delay: [200, 200, 200], loop: 0 })
    .toBuffer();
}

/** Two pages: a grey "scan" page, then a black one; only the first should ever be read. */
async function twoPageTiff(): Promise<Buffer> {
  const page = (value: number): Buffer => Buffer.alloc(96 * 64 * 3, value);
  return sharp(Buffer.concat([page(200), page(0)]), { raw: { width: 96, height: 128, channels: 3, pageHeight: 64 } })
    .tiff({ compression: 'deflate' })
    .toBuffer();
}

/** Left half red, right half blue, stored as CMYK. */
async function cmykJpeg(): Promise<Buffer> {
  const width = 64;
  const height = 48;
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) pixels.set(i % width < width / 2 ? [220, 30, 30] : [30, 30, 220], i * 3);
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .toColourspace('cmyk')
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** A 16-bit-per-channel gradient with values that 8 bits cannot hold exactly. */
async function deepPng(): Promise<Buffer> {
  const width = 64;
  const height = 48;
  const samples = new Uint16Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) samples.set([x * 1000 + 7, y * 1300 + 3, 40000], (y * width + x) * 3);
  }
  return sharp(samples, { raw: { width, height, channels: 3 } })
    .toColourspace('rgb16')
    .png()
    .toBuffer();
}

const truncate = (bytes: Buffer): Buffer => bytes.subarray(0, Math.floor(bytes.length * 0.6));

async function makeHeic(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'heic-'));
  try {
    const png = join(dir, 'source.png');
    await photoPixels(64, 48, 7, false).png().toFile(png);
    execFileSync('heif-enc', ['-q', '50', '-o', join(OUT, 'photo.heic'), png], { stdio: 'inherit' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const photo = await photoPixels(480, 320, 1, true).jpeg({ quality: 85 }).withMetadata({ orientation: 6 }).toBuffer();
  const screenshotPng = await screenshot().png({ compressionLevel: 9 }).toBuffer();
  const files: Record<string, Buffer | string> = {
    'photo.jpg': photo,
    'invoice.png': await invoice().png({ compressionLevel: 9 }).toBuffer(),
    'invoice.expected.json': `${JSON.stringify(INVOICE, null, 2)}\n`,
    'screenshot.png': screenshotPng,
    'chart.png': await chart().png({ compressionLevel: 9 }).toBuffer(),
    'animation.gif': await animatedGif(),
    'two-pages.tiff': await twoPageTiff(),
    'photo.avif': await photoPixels(64, 48, 3, false).avif({ quality: 50 }).toBuffer(),
    'photo.webp': await photoPixels(160, 120, 4, false).webp({ quality: 80 }).toBuffer(),
    'screenshot-lossless.webp': await screenshot(320, 200).webp({ lossless: true }).toBuffer(),
    'cmyk.jpg': await cmykJpeg(),
    'deep16.png': await deepPng(),
    'truncated.jpg': truncate(photo),
    'truncated.png': truncate(screenshotPng),
    'notes.txt': 'Shopping list\n- coffee beans\n- café au lait mugs\n- paper\n',
    'drawing.svg':
      '<?xml version="1.0" encoding="UTF-8"?>\n<!-- a small test drawing -->\n' +
      '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="24" fill="#4363d8"/></svg>\n',
  };
  for (const [name, content] of Object.entries(files)) writeFileSync(join(OUT, name), content);
  if (process.argv.includes('--heic')) await makeHeic();
  console.log(`wrote ${Object.keys(files).length} fixtures to ${OUT}`);
}

await main();
