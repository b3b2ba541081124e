/**
 * Turns uploaded bytes into the image the model is sent: upright, first frame or page, 8-bit sRGB on
 * white, no larger than the model looks at, re-encoded as JPEG or PNG. Nothing bigger than
 * `maxInputPixels` is ever decoded: the header is read and checked first.
 */
import sharp, { type JpegOptions, type OutputInfo, type PngOptions, type Sharp, type SharpOptions } from 'sharp';
import { PermanentError, WorkerError, ensureError } from '../errors.js';
import { SETTINGS } from '../names.js';
import type { Detail, EncodeFormat } from '../profiles/types.js';
import type { PreparedImage, SourceImage } from './imageTypes.js';
import type { RenderPoolSettings } from '../config.js';
import { decodeHeicIsolated } from './decodeHeic.js';
import { SUPPORTED_IMAGE_TYPES, unsupportedMediaType } from './detectMediaType.js';
import { imageTokens, modelImageSize } from './imageTokens.js';

export interface PrepareOptions {
  /** Picks the size the model looks at and the token formula. */
  model: string;
  detail: Detail;
  format: EncodeFormat;
  maxInputPixels: number;
  /** The render children HEIC is decoded in (RENDER_* settings). */
  render: RenderPoolSettings;
}

export interface PreparedInput {
  image: PreparedImage;
  source: SourceImage;
}

const HEIF_TYPES: ReadonlySet<string> = new Set(['image/heic', 'image/heif']);

/** Sources whose pixels are exact: text and flat colour in them are worth a PNG when it is not much bigger. */
const LOSSLESS_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/gif', 'image/tiff']);

/** A lossless source stays PNG while at most this many times the JPEG (tokens depend on size only; docs/formats.md). */
const PNG_OVER_JPEG = 1.5;

/** libjpeg-turbo at a quality where text stays legible; not mozjpeg, 4x the CPU for 6 % fewer bytes (docs/formats.md). */
const JPEG_OPTIONS: JpegOptions = { quality: 85, progressive: true };
const PNG_COMPRESSION = 9;
/** Few colours, each over many pixels (documents, screenshots, charts): a 256-colour palette halves the PNG losslessly enough. */
const PALETTE_MAX_COLOURS = 4096;
const PALETTE_MIN_PIXELS_PER_COLOUR = 64;
const PALETTE_OPTIONS: PngOptions = { compressionLevel: PNG_COMPRESSION, palette: true, colours: 256, quality: 100, dither: 0 };

/** Truncated or undecodable data fails (no half-grey picture), decoder warnings real files carry do not; first frame only. */
function inputOptions(maxInputPixels: number): SharpOptions {
  return { limitInputPixels: maxInputPixels, failOn: 'error', pages: 1 };
}

/** An image opened far enough to know its upright size, with no pixel decoded yet (HEIC excepted). */
interface OpenedImage {
  pipeline: Sharp;
  width: number;
  height: number;
  orientation?: number;
}

function assertWithinLimit(width: number, height: number, maxInputPixels: number): void {
  if (width * height <= maxInputPixels) return;
  throw new PermanentError(
    'image_too_large',
    `expected at most ${maxInputPixels} pixels (${SETTINGS.maxInputPixels}), received an image of ${width}x${height} = ${width * height} pixels`,
    { details: { width, height, maxInputPixels } },
  );
}

async function openWithSharp(bytes: Buffer, maxInputPixels: number): Promise<OpenedImage> {
  // The header read itself is not limited, so that the refusal below can name the dimensions.
  const meta = await sharp(bytes, { ...inputOptions(maxInputPixels), limitInputPixels: false }).metadata();
  assertWithinLimit(meta.width, meta.height, maxInputPixels);
  return {
    // Resizing in the same pipeline as the decode lets libjpeg and libwebp shrink on load.
    pipeline: sharp(bytes, inputOptions(maxInputPixels)).autoOrient(),
    width: meta.autoOrient.width,
    height: meta.autoOrient.height,
    ...(meta.orientation === undefined ? {} : { orientation: meta.orientation }),
  };
}

/** libheif applies the container's rotation itself; HEIF has no EXIF orientation to honour on top. */
async function openHeic(bytes: Buffer, { maxInputPixels, render }: PrepareOptions): Promise<OpenedImage> {
  const { width, height, rgba } = await decodeHeicIsolated(bytes, maxInputPixels, render);
  assertWithinLimit(width, height, maxInputPixels);
  if (rgba === undefined) throw new RangeError(`the render child left a ${width}x${height} HEIC within the pixel limit undecoded`);
  return { pipeline: sharp(rgba, { ...inputOptions(maxInputPixels), raw: { width, height, channels: 4 } }), width, height };
}

interface RawImage {
  data: Buffer;
  info: OutputInfo;
}

const fromRaw = ({ data, info }: RawImage): Sharp =>
  sharp(data, { ...inputOptions(info.width * info.height), raw: { width: info.width, height: info.height, channels: info.channels } });

function fewColours({ data, info }: RawImage): boolean {
  const limit = Math.min(PALETTE_MAX_COLOURS, (info.width * info.height) / PALETTE_MIN_PIXELS_PER_COLOUR);
  const colours = new Set<number>();
  for (let i = 0; i < data.length; i += info.channels) {
    colours.add(((data[i] ?? 0) << 16) | ((data[i + 1] ?? 0) << 8) | (data[i + 2] ?? 0));
    if (colours.size > limit) return false;
  }
  return true;
}

const toJpeg = (raw: RawImage): Promise<Buffer> => fromRaw(raw).jpeg(JPEG_OPTIONS).toBuffer();

const toPng = (raw: RawImage): Promise<Buffer> =>
  fromRaw(raw)
    .png(fewColours(raw) ? PALETTE_OPTIONS : { compressionLevel: PNG_COMPRESSION })
    .toBuffer();

/** A WebP's first image chunk says whether it is lossless (`VP8L`) or lossy (`VP8 `). */
function isLosslessWebp(bytes: Buffer): boolean {
  for (let offset = 12; offset + 8 <= bytes.length;) {
    const fourcc = bytes.toString('latin1', offset, offset + 4);
    if (fourcc === 'VP8L') return true;
    if (fourcc === 'VP8 ') return false;
    const size = bytes.readUInt32LE(offset + 4);
    offset += 8 + size + (size % 2);
  }
  return false;
}

const isLosslessSource = (bytes: Buffer, mime: string): boolean =>
  LOSSLESS_TYPES.has(mime) || (mime === 'image/webp' && isLosslessWebp(bytes));

async function encode(raw: RawImage, format: EncodeFormat, losslessSource: boolean): Promise<Pick<PreparedImage, 'bytes' | 'mime'>> {
  if (format === 'png') return { bytes: await toPng(raw), mime: 'image/png' };
  const jpeg = await toJpeg(raw);
  if (format === 'jpeg' || !losslessSource) return { bytes: jpeg, mime: 'image/jpeg' };
  const png = await toPng(raw);
  return png.length <= PNG_OVER_JPEG * jpeg.length ? { bytes: png, mime: 'image/png' } : { bytes: jpeg, mime: 'image/jpeg' };
}

interface ImageContext {
  mime: string;
  byteLength: number;
  maxInputPixels: number;
}

/** The one place that turns what sharp or libheif threw into the project's error kinds. */
export function imageError(error: unknown, { mime, byteLength, maxInputPixels }: ImageContext): WorkerError {
  if (error instanceof WorkerError) return error;
  const cause = ensureError(error);
  const reason = cause.message.trim().split('\n').join('; ');
  if (/pixel limit/i.test(reason)) {
    return new PermanentError(
      'image_too_large',
      `expected at most ${maxInputPixels} pixels (${SETTINGS.maxInputPixels}), received more: ${reason}`,
      {
        cause,
        details: { maxInputPixels },
      },
    );
  }
  return new PermanentError(
    'corrupt_image',
    `expected a complete, decodable ${mime} image, received ${byteLength} bytes the decoder rejected: ${reason}`,
    {
      cause,
      details: { mime, bytes: byteLength },
    },
  );
}

/** The copy of an upright `width` x `height` image that `prepareImage` makes for the model: its size, detail and tokens. */
export function modelCopy(
  { model, detail: asked }: Pick<PrepareOptions, 'model' | 'detail'>,
  width: number,
  height: number,
): Omit<PreparedImage, 'bytes' | 'mime'> {
  const detail = asked === 'low' ? 'low' : 'high';
  const size = modelImageSize(model, detail, width, height);
  return { ...size, detail, imageTokens: imageTokens(model, detail, size.width, size.height) };
}

/** `mime` is what `detectMediaType` found in the bytes. */
export async function prepareImage(bytes: Buffer, mime: string, options: PrepareOptions): Promise<PreparedInput> {
  if (!SUPPORTED_IMAGE_TYPES.has(mime)) throw unsupportedMediaType(mime, 'images');
  try {
    const opened = HEIF_TYPES.has(mime) ? await openHeic(bytes, options) : await openWithSharp(bytes, options.maxInputPixels);
    const target = modelCopy(options, opened.width, opened.height);
    // `fill` to the exact target, which already keeps the aspect ratio, so the token count is exact.
    const sized =
      target.width === opened.width && target.height === opened.height
        ? opened.pipeline
        : opened.pipeline.resize(target.width, target.height, { fit: 'fill' });
    // Alpha goes onto white for PNG too: a model may composite transparency onto black, hiding dark text.
    const raw = await sized.flatten({ background: '#ffffff' }).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    const encoded = await encode(raw, options.format, isLosslessSource(bytes, mime));
    return {
      image: { ...encoded, ...target },
      source: {
        bytes,
        mime,
        width: opened.width,
        height: opened.height,
        ...(opened.orientation === undefined ? {} : { orientation: opened.orientation }),
      },
    };
  } catch (error) {
    throw imageError(error, { mime, byteLength: bytes.length, maxInputPixels: options.maxInputPixels });
  }
}
