import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../src/errors.js';
import { detectMediaType } from '../../src/media/detectMediaType.js';
import { imageError, prepareImage, type PrepareOptions } from '../../src/media/prepareImage.js';
import { fixture } from '../support/fixtures.js';
import { RENDER } from '../support/renderSettings.js';
import { handmadePng } from '../../scripts/make-hostile-corpus.js';

const OPTIONS: PrepareOptions = { model: 'gpt-4o', detail: 'high', format: 'auto', maxInputPixels: 100_000_000, render: RENDER };

async function prepareFixture(name: string, options: Partial<PrepareOptions> = {}) {
  const bytes = fixture(name);
  const { mime } = await detectMediaType(bytes);
  return prepareImage(bytes, mime, { ...OPTIONS, ...options });
}

async function pixels(bytes: Buffer) {
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number): number[] => [
    ...data.subarray((y * info.width + x) * info.channels, (y * info.width + x + 1) * info.channels),
  ];
  return { info, at };
}

async function rejection(promise: Promise<unknown>): Promise<PermanentError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PermanentError);
  return error as PermanentError;
}

/** A PNG whose IHDR declares `width` x `height` (8-bit RGB, valid CRCs) and whose IDAT holds a few bytes. */
const pngHeader = (width: number, height: number): Buffer => handmadePng(width, height, 8, 2, Buffer.alloc(16));

describe('prepareImage: orientation and size', () => {
  it('applies EXIF orientation 6: the stored 480x320 comes out 320x480 with the marker top-right', async () => {
    const { image, source } = await prepareFixture('photo.jpg', { format: 'png' });
    expect(source).toMatchObject({ mime: 'image/jpeg', width: 320, height: 480, orientation: 6 });
    expect(source.bytes).toEqual(fixture('photo.jpg'));
    expect([image.width, image.height]).toEqual([320, 480]);
    const { at } = await pixels(image.bytes);
    const [r, g, b] = at(image.width - 10, 10);
    expect(r).toBeGreaterThan(200);
    expect(Math.max(g ?? 255, b ?? 255)).toBeLessThan(60);
    expect(at(10, 10)[0]).toBeLessThan(200);
  });

  it('high detail: 800x800 becomes 768x768 for gpt-4o, 765 tokens', async () => {
    const { image } = await prepareFixture('invoice.png', { detail: 'high' });
    expect(image).toMatchObject({ width: 768, height: 768, detail: 'high', imageTokens: 765 });
  });

  it('auto detail is sent as high', async () => {
    const { image } = await prepareFixture('invoice.png', { detail: 'auto' });
    expect(image).toMatchObject({ width: 768, height: 768, detail: 'high', imageTokens: 765 });
  });

  it('low detail: at most 512x512, 85 tokens', async () => {
    const { image } = await prepareFixture('invoice.png', { detail: 'low' });
    expect(image).toMatchObject({ width: 512, height: 512, detail: 'low', imageTokens: 85 });
    const { info } = await pixels(image.bytes);
    expect([info.width, info.height]).toEqual([512, 512]);
  });

  it('a large photo is fitted to 2048 and then 768 on the short side: 4000x3000 -> 1024x768, 4 tiles', async () => {
    const big = await sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#336699' } })
      .jpeg()
      .toBuffer();
    const { image, source } = await prepareImage(big, 'image/jpeg', OPTIONS);
    expect([source.width, source.height]).toEqual([4000, 3000]);
    expect(source.orientation).toBeUndefined();
    expect(image).toMatchObject({ mime: 'image/jpeg', width: 1024, height: 768, imageTokens: 765 });
  });

  it('patch models get the patch-capped size', async () => {
    const big = await sharp({ create: { width: 1800, height: 2400, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    const { image } = await prepareImage(big, 'image/png', { ...OPTIONS, model: 'gpt-4.1-mini' });
    expect(image).toMatchObject({ width: 1056, height: 1408, imageTokens: Math.ceil(1452 * 1.62) });
  });

  it('never upscales, and a 1x1 image works', async () => {
    const dot = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#ff0000' } })
      .png()
      .toBuffer();
    const { image, source } = await prepareImage(dot, 'image/png', OPTIONS);
    expect(source).toMatchObject({ width: 1, height: 1 });
    expect(image).toMatchObject({ width: 1, height: 1, imageTokens: 255 });
    const { at } = await pixels(image.bytes);
    expect(at(0, 0).slice(0, 3)).toEqual([255, 0, 0]);
  });
});

describe('prepareImage: encoding', () => {
  it('auto keeps JPEG for a photographic source', async () => {
    expect((await prepareFixture('photo.jpg')).image.mime).toBe('image/jpeg');
    expect((await prepareFixture('photo.webp')).image.mime).toBe('image/jpeg');
  });

  it('auto keeps PNG for a rendered document, a screenshot and a lossless WebP', async () => {
    for (const name of ['invoice.png', 'screenshot.png', 'screenshot-lossless.webp']) {
      const { image } = await prepareFixture(name);
      expect(image.mime, name).toBe('image/png');
      expect(image.bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
    }
  });

  it('auto picks JPEG for a photo saved as PNG, where PNG would be far larger', async () => {
    const photoPng = await sharp(fixture('photo.jpg')).png().toBuffer();
    const auto = await prepareImage(photoPng, 'image/png', OPTIONS);
    const png = await prepareImage(photoPng, 'image/png', { ...OPTIONS, format: 'png' });
    expect(auto.image.mime).toBe('image/jpeg');
    expect(png.image.bytes.length).toBeGreaterThan(1.5 * auto.image.bytes.length);
  });

  it('honours an explicit format; a photo as PNG stays truecolour', async () => {
    const png = await prepareFixture('photo.jpg', { format: 'png' });
    expect(png.image.mime).toBe('image/png');
    expect((await sharp(png.image.bytes).metadata()).isPalette).toBe(false);
    const jpeg = await prepareFixture('invoice.png', { format: 'jpeg' });
    expect(jpeg.image.mime).toBe('image/jpeg');
    expect(jpeg.image.bytes.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
  });

  it('the palette PNG of a document stays within a few levels of the truecolour pixels', async () => {
    const { image } = await prepareFixture('invoice.png', { format: 'png' });
    expect((await sharp(image.bytes).metadata()).isPalette).toBe(true);
    const reference = await sharp(fixture('invoice.png'))
      .resize(768, 768, { fit: 'fill' })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw()
      .toBuffer();
    const sent = await sharp(image.bytes).removeAlpha().toColourspace('srgb').raw().toBuffer();
    expect(sent.length).toBe(reference.length);
    let worst = 0;
    for (let i = 0; i < sent.length; i++) worst = Math.max(worst, Math.abs((sent[i] ?? 0) - (reference[i] ?? 0)));
    expect(worst).toBeLessThanOrEqual(8);
  });

  it('flattens transparency onto white for JPEG and PNG alike', async () => {
    const clear = await sharp({ create: { width: 4, height: 4, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .png()
      .toBuffer();
    for (const format of ['jpeg', 'png'] as const) {
      const { image } = await prepareImage(clear, 'image/png', { ...OPTIONS, format });
      const { info, at } = await pixels(image.bytes);
      expect(info.channels, format).toBe(3);
      expect(at(1, 1).every((v) => v >= 250)).toBe(true);
    }
  });
});

describe('prepareImage: formats', () => {
  it('converts CMYK to sRGB, keeping red red and blue blue (within what CMYK can hold)', async () => {
    const { image } = await prepareFixture('cmyk.jpg', { format: 'png' });
    const { info, at } = await pixels(image.bytes);
    expect(info.channels).toBe(3);
    const [lr = 0, lg = 0, lb = 0] = at(8, 24);
    const [rr = 0, rg = 0, rb = 0] = at(56, 24);
    expect(lr).toBeGreaterThan(Math.max(lg, lb) + 150);
    expect(rb).toBeGreaterThan(Math.max(rr, rg) + 60);
  });

  it('reduces 16-bit to 8-bit', async () => {
    expect((await sharp(fixture('deep16.png')).metadata()).depth).toBe('ushort');
    const { image } = await prepareFixture('deep16.png', { format: 'png' });
    const meta = await sharp(image.bytes).metadata();
    expect(meta.depth).toBe('uchar');
    expect([meta.width, meta.height]).toEqual([64, 48]);
  });

  it('reads only the first frame of an animated GIF (red, not green or blue)', async () => {
    const { image, source } = await prepareFixture('animation.gif', { format: 'png' });
    expect(source).toMatchObject({ mime: 'image/gif', width: 48, height: 32 });
    expect([image.width, image.height]).toEqual([48, 32]);
    const { at } = await pixels(image.bytes);
    expect(at(40, 2)).toEqual([255, 0, 0]);
    expect(at(8, 16)).toEqual([255, 255, 255]);
  });

  it('reads only the first page of a TIFF', async () => {
    const { image, source } = await prepareFixture('two-pages.tiff', { format: 'png' });
    expect([source.width, source.height, image.width, image.height]).toEqual([96, 64, 96, 64]);
    const { at } = await pixels(image.bytes);
    expect(at(50, 60)).toEqual([200, 200, 200]);
  });

  it.each([
    ['photo.avif', 'image/avif', 64, 48],
    ['photo.webp', 'image/webp', 160, 120],
    ['photo.heic', 'image/heic', 64, 48],
  ])('decodes %s', async (name, mime, width, height) => {
    const { image, source } = await prepareFixture(name, { format: 'png' });
    expect(source).toMatchObject({ mime, width, height });
    expect([image.width, image.height]).toEqual([width, height]);
    const { at } = await pixels(image.bytes);
    // The generator draws blue sky over green ground.
    const [skyR, , skyB] = at(4, 2);
    const [groundR, groundG, groundB] = at(4, height - 2);
    expect(skyB).toBeGreaterThan((skyR ?? 0) + 40);
    expect(groundG).toBeGreaterThan((groundB ?? 0) + 20);
    expect(groundR).toBeGreaterThan(0);
  });
});

describe('prepareImage: refusals', () => {
  it.each([
    ['truncated.jpg', 'image/jpeg'],
    ['truncated.png', 'image/png'],
  ])('%s is a corrupt_image that says what was expected and received', async (name, mime) => {
    const error = await rejection(prepareFixture(name));
    expect(error.code).toBe('corrupt_image');
    expect(error.message).toContain(`expected a complete, decodable ${mime} image`);
    expect(error.message).toContain(`received ${fixture(name).length} bytes`);
  });

  it('refuses a PNG declaring 50000x50000 from its header, before allocating anything', async () => {
    const bytes = pngHeader(50_000, 50_000);
    expect(await detectMediaType(bytes)).toEqual({ mime: 'image/png', supported: true });
    const before = process.memoryUsage().rss;
    const error = await rejection(prepareImage(bytes, 'image/png', OPTIONS));
    expect(error.code).toBe('image_too_large');
    expect(error.message).toContain('50000x50000');
    expect(error.message).toContain('100000000');
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('checks the limit before decoding HEIC too', async () => {
    const error = await rejection(prepareFixture('photo.heic', { maxInputPixels: 1000 }));
    expect(error.code).toBe('image_too_large');
    expect(error.message).toContain('64x48');
  });

  it('refuses unsupported and empty inputs as unsupported_media_type, naming the image formats it takes', async () => {
    const images = 'expected a PNG, JPEG, WebP, GIF, TIFF, AVIF or HEIC/HEIF image';
    const svg = await rejection(prepareFixture('drawing.svg'));
    expect(svg.code).toBe('unsupported_media_type');
    expect(svg.message).toBe(`${images}, received image/svg+xml`);
    const empty = await rejection(prepareImage(Buffer.alloc(0), 'application/x-empty', OPTIONS));
    expect(empty.code).toBe('unsupported_media_type');
    expect(empty.message).toBe(`${images}, received nothing: the file is empty (0 bytes)`);
  });

  it('treats bytes that do not decode as the detected type as corrupt', async () => {
    const error = await rejection(prepareImage(Buffer.from('not really a heic file at all'), 'image/heic', OPTIONS));
    expect(error.code).toBe('corrupt_image');
    const garbage = await rejection(prepareImage(Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x01]), 'image/jpeg', OPTIONS));
    expect(garbage.code).toBe('corrupt_image');
  });
});

describe('imageError', () => {
  const context = { mime: 'image/png', byteLength: 10, maxInputPixels: 1000 };

  it("maps sharp's pixel-limit error to image_too_large", () => {
    const error = imageError(new Error('Input image exceeds pixel limit'), context);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.code).toBe('image_too_large');
    expect(error.message).toContain('1000');
  });

  it('maps any other decoder failure, thrown or not an Error, to corrupt_image', () => {
    expect(imageError(new Error('vipspng: libpng read error\n'), context).code).toBe('corrupt_image');
    expect(imageError('HEIF processing error', context).message).toContain('HEIF processing error');
  });

  it('passes an already classified error through', () => {
    const transient = new TransientError('timeout', 'slow');
    expect(imageError(transient, context)).toBe(transient);
  });
});
