/**
 * The bench's uploads, the same on every run: 12 MP phone photos (JPEG, half of them with EXIF
 * orientation 6 as portrait shots carry), A4 scans at 300 dpi (JPEG) and desktop screenshots (PNG).
 * A few base images per kind are rendered once and cached under bench/out/images; each file is a base
 * with its own comment (JPEG COM segment, PNG tEXt chunk), so every upload has distinct bytes (nothing
 * can be answered from a cache) while the pixels, and so the work, stay realistic.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { createRandom } from '../eval/random.js';

export type Kind = 'photo' | 'scan' | 'screenshot';

export interface BenchFile {
  /** Blob name; the prefix picks the profile (see BENCH_PROFILE_RULES). */
  name: string;
  kind: Kind;
  bytes: () => Buffer;
}

/** Photos and screenshots are described (low detail); scans are read as forms (high detail). */
export const BENCH_PROFILE_RULES = 'photos/=describe,screenshots/=describe,scans/=form';

export const OUT_DIR = fileURLToPath(new URL('./out/', import.meta.url));
/** Part of the cache's file names: bump it when the rendering below changes. */
const GENERATION = 2;
const BASES: Record<Kind, number> = { photo: 6, scan: 4, screenshot: 4 };
const ORDER: readonly Kind[] = ['photo', 'scan', 'screenshot'];

const WORDS =
  'invoice total amount date customer account number reference payment due balance tax subtotal address phone email order item quantity price description shipping delivery signature approved department project status report summary meeting agenda notes'.split(
    ' ',
  );

const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function words(next: () => number, count: number): string {
  return Array.from({ length: count }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' ');
}

/** Value noise: random values on a `cells` x `cells` lattice, smoothly interpolated, in [0, 1). */
function valueNoise(next: () => number, cells: number): (x: number, y: number) => number {
  const lattice = Array.from({ length: (cells + 1) * (cells + 1) }, next);
  const at = (i: number, j: number): number => lattice[j * (cells + 1) + i] ?? 0;
  const smooth = (t: number): number => t * t * (3 - 2 * t);
  return (x, y) => {
    const [gx, gy] = [x * cells, y * cells];
    const [i, j] = [Math.min(cells - 1, Math.floor(gx)), Math.min(cells - 1, Math.floor(gy))];
    const [u, v] = [smooth(gx - i), smooth(gy - j)];
    const top = at(i, j) * (1 - u) + at(i + 1, j) * u;
    const bottom = at(i, j + 1) * (1 - u) + at(i + 1, j + 1) * u;
    return top * (1 - v) + bottom * v;
  };
}

/**
 * Broad colour regions with softer detail inside them (three octaves of value noise per channel, a
 * "sky" gradient over the top), under sensor-like grain: it looks and compresses like a photo.
 */
async function renderPhoto(seed: number): Promise<Buffer> {
  const next = createRandom(seed).next;
  const [w, h] = [252, 189];
  const channels = [0, 1, 2].map(() => [3, 9, 27].map((cells) => valueNoise(next, cells)));
  const coarse = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        const [broad, mid, fine] = (channels[c] ?? []).map((noise) => noise(x / w, y / h));
        const sky = Math.max(0, 1 - (2.5 * y) / h) * (c === 2 ? 0.35 : 0.15);
        const value = 0.6 * (broad ?? 0) + 0.28 * (mid ?? 0) + 0.12 * (fine ?? 0) + sky;
        coarse[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(value * 230)));
      }
    }
  }
  const grain = Buffer.alloc(512 * 512 * 3);
  for (let i = 0; i < grain.length; i++) grain[i] = 128 + Math.floor((next() - 0.5) * 70);
  const grainTile = await sharp(grain, { raw: { width: 512, height: 512, channels: 3 } })
    .png()
    .toBuffer();
  return sharp(coarse, { raw: { width: w, height: h, channels: 3 } })
    .resize(4032, 3024, { kernel: 'cubic' })
    .composite([{ input: grainTile, tile: true, blend: 'soft-light' }])
    .jpeg({ quality: 90 })
    .withMetadata(seed % 2 === 0 ? { orientation: 6 } : {})
    .toBuffer();
}

/** A form page: title, labelled boxes, paragraphs; on off-white paper, saved as a scanner does. */
async function renderScan(seed: number): Promise<Buffer> {
  const next = createRandom(seed).next;
  const parts: string[] = [`<rect width="2480" height="3508" fill="#f7f5f0"/>`];
  parts.push(
    `<text x="200" y="330" font-family="DejaVu Sans, sans-serif" font-size="72" font-weight="bold" fill="#1a1a1a">${escapeXml(words(next, 3).toUpperCase())}</text>`,
  );
  let y = 480;
  for (let field = 0; field < 12; field++, y += 150) {
    parts.push(
      `<text x="200" y="${y}" font-family="DejaVu Sans, sans-serif" font-size="34" fill="#333">${escapeXml(words(next, 2))}:</text>`,
    );
    parts.push(`<rect x="760" y="${y - 48}" width="1500" height="70" fill="none" stroke="#555" stroke-width="3"/>`);
    parts.push(
      `<text x="790" y="${y}" font-family="DejaVu Sans Mono, monospace" font-size="36" fill="#1f2f6f">${escapeXml(words(next, 3))} ${Math.floor(next() * 100_000)}</text>`,
    );
  }
  for (let line = 0; line < 28; line++, y += 56) {
    parts.push(
      `<text x="200" y="${y + 80}" font-family="DejaVu Serif, serif" font-size="34" fill="#222">${escapeXml(words(next, 11))}</text>`,
    );
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="2480" height="3508">${parts.join('')}</svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 85 }).withMetadata({ density: 300 }).toBuffer();
}

/** A desktop app: sidebar, toolbar, cards with text and numbers, a table. */
async function renderScreenshot(seed: number): Promise<Buffer> {
  const next = createRandom(seed).next;
  const accent = ['#2563eb', '#059669', '#d97706', '#7c3aed'][seed % 4] ?? '#2563eb';
  const parts: string[] = [
    `<rect width="1920" height="1080" fill="#f3f4f6"/>`,
    `<rect width="260" height="1080" fill="#111827"/>`,
    `<rect x="260" width="1660" height="72" fill="#ffffff"/>`,
    `<text x="300" y="46" font-family="DejaVu Sans, sans-serif" font-size="24" fill="#111827">${escapeXml(words(next, 3))}</text>`,
  ];
  for (let item = 0; item < 12; item++) {
    parts.push(
      `<text x="32" y="${120 + item * 48}" font-family="DejaVu Sans, sans-serif" font-size="18" fill="#d1d5db">${escapeXml(words(next, 2))}</text>`,
    );
  }
  for (let card = 0; card < 4; card++) {
    const x = 300 + card * 400;
    parts.push(`<rect x="${x}" y="110" width="370" height="160" rx="10" fill="#ffffff" stroke="#e5e7eb"/>`);
    parts.push(
      `<text x="${x + 24}" y="160" font-family="DejaVu Sans, sans-serif" font-size="18" fill="#6b7280">${escapeXml(words(next, 2))}</text>`,
    );
    parts.push(
      `<text x="${x + 24}" y="225" font-family="DejaVu Sans, sans-serif" font-size="44" font-weight="bold" fill="${accent}">${Math.floor(next() * 100_000).toLocaleString('en-US')}</text>`,
    );
  }
  parts.push(`<rect x="300" y="310" width="1580" height="730" rx="10" fill="#ffffff" stroke="#e5e7eb"/>`);
  for (let row = 0; row < 16; row++) {
    const y = 360 + row * 42;
    parts.push(
      `<text x="330" y="${y}" font-family="DejaVu Sans, sans-serif" font-size="17" fill="#374151">${escapeXml(words(next, 4))}</text>`,
    );
    parts.push(
      `<text x="1200" y="${y}" font-family="DejaVu Sans Mono, monospace" font-size="17" fill="#374151">${(next() * 10_000).toFixed(2)}</text>`,
    );
    parts.push(`<rect x="1500" y="${y - 16}" width="${Math.floor(next() * 300)}" height="20" fill="${accent}" opacity="0.6"/>`);
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1920" height="1080">${parts.join('')}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

const RENDER: Record<Kind, (seed: number) => Promise<Buffer>> = { photo: renderPhoto, scan: renderScan, screenshot: renderScreenshot };
const EXTENSION: Record<Kind, 'jpg' | 'png'> = { photo: 'jpg', scan: 'jpg', screenshot: 'png' };
const PREFIX: Record<Kind, string> = { photo: 'photos/IMG_', scan: 'scans/scan-', screenshot: 'screenshots/screen-' };

/** The base images of each kind, rendered on first use and read from the cache after. */
export async function baseImages(): Promise<Record<Kind, Buffer[]>> {
  const dir = join(OUT_DIR, 'images');
  mkdirSync(dir, { recursive: true });
  const load = async (kind: Kind): Promise<Buffer[]> => {
    const images: Buffer[] = [];
    for (let i = 0; i < BASES[kind]; i++) {
      const path = join(dir, `g${GENERATION}-${kind}-${i}.${EXTENSION[kind]}`);
      if (!existsSync(path)) writeFileSync(path, await RENDER[kind](i + 1));
      images.push(readFileSync(path));
    }
    return images;
  };
  return { photo: await load('photo'), scan: await load('scan'), screenshot: await load('screenshot') };
}

/** A JPEG comment segment right after SOI: a valid file with its own bytes. */
function stampJpeg(bytes: Buffer, text: string): Buffer {
  const body = Buffer.from(text, 'latin1');
  const segment = Buffer.alloc(4);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([bytes.subarray(0, 2), segment, body, bytes.subarray(2)]);
}

/** A PNG tEXt chunk right after IHDR (signature 8 bytes + IHDR 25 bytes). */
function stampPng(bytes: Buffer, text: string): Buffer {
  const data = Buffer.concat([Buffer.from('Comment\0', 'latin1'), Buffer.from(text, 'latin1')]);
  const typed = Buffer.concat([Buffer.from('tEXt', 'latin1'), data]);
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  typed.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(typed), 8 + data.length);
  return Buffer.concat([bytes.subarray(0, 33), chunk, bytes.subarray(33)]);
}

/** `count` files cycling through the kinds; each file's bytes are made when asked for. */
export function benchFiles(bases: Record<Kind, Buffer[]>, count: number): BenchFile[] {
  return Array.from({ length: count }, (_, i) => {
    const kind = ORDER[i % ORDER.length] ?? 'photo';
    const pool = bases[kind];
    const base = pool[Math.floor(i / ORDER.length) % pool.length] ?? Buffer.alloc(0);
    const id = String(i).padStart(4, '0');
    const stamp = `blob-vision-worker bench file ${id}`;
    return {
      name: `${PREFIX[kind]}${id}.${EXTENSION[kind]}`,
      kind,
      bytes: () => (EXTENSION[kind] === 'png' ? stampPng(base, stamp) : stampJpeg(base, stamp)),
    };
  });
}
