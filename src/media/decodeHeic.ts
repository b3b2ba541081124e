/**
 * HEIC/HEIF through libheif compiled to WASM (heic-decode): sharp's prebuilt libvips reads HEIF headers
 * but carries no HEVC decoder. The decode blocks the thread it runs on for seconds on a large photo, so
 * the worker asks a render child (`decodeHeicIsolated`); `withHeicImage` is what the child runs.
 */
import { createRequire } from 'node:module';
import type { RenderPoolSettings } from '../config.js';
import { renderFailure, renderPool } from '../isolation/renderPool.js';
import { SETTINGS } from '../names.js';

interface HeicDecodeImage {
  width: number;
  height: number;
  decode(): Promise<{ data: Uint8ClampedArray }>;
}

interface HeicDecode {
  all(input: { buffer: Uint8Array }): Promise<HeicDecodeImage[] & { dispose(): void }>;
}

let heicDecode: HeicDecode | undefined;

/** Loaded on first use: the WASM bundle costs ~50 ms and ~25 MB at start, and most uploads are not HEIC. */
function loadHeicDecode(): HeicDecode {
  // heic-decode is CommonJS and ships no type declarations.
  heicDecode ??= createRequire(import.meta.url)('heic-decode') as HeicDecode;
  return heicDecode;
}

/** The HEIC task a render child answers (src/renderChild.ts). */
export interface HeicRequest {
  op: 'decodeHeic';
  bytes: Uint8Array;
  maxInputPixels: number;
}

/** A decoded HEIC image; `rgba` is absent when it is larger than `maxInputPixels` and was not decoded. */
export interface DecodedHeic {
  width: number;
  height: number;
  rgba?: Uint8ClampedArray;
}

export interface HeicImage {
  /** Dimensions after the container's rotation and mirroring, which libheif applies. */
  width: number;
  height: number;
  /** Interleaved RGBA, 4 bytes per pixel. */
  decode(): Promise<Uint8ClampedArray>;
}

/**
 * Hands the first top-level image (the primary one in camera files) to `use` before any pixel is decoded,
 * so an oversized image can be refused first; libheif's memory is released when `use` settles.
 */
export async function withHeicImage<T>(bytes: Buffer, use: (image: HeicImage) => Promise<T>): Promise<T> {
  const images = await loadHeicDecode().all({ buffer: bytes });
  try {
    const [first] = images;
    if (first === undefined) throw new Error('HEIF container holds no image');
    return await use({ width: first.width, height: first.height, decode: async () => (await first.decode()).data });
  } finally {
    images.dispose();
  }
}

/** The first top-level image decoded in a render child; without `rgba` when it has more than `maxInputPixels`. */
export async function decodeHeicIsolated(bytes: Buffer, maxInputPixels: number, render: RenderPoolSettings): Promise<DecodedHeic> {
  const session = await renderPool(render).session();
  try {
    return await session.call<DecodedHeic>({ op: 'decodeHeic', bytes, maxInputPixels } satisfies HeicRequest);
  } catch (error) {
    throw renderFailure(error, { setting: SETTINGS.renderTimeoutMs });
  } finally {
    session.release();
  }
}
