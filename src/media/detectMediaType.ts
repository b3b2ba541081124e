/**
 * What a blob is, decided from its bytes alone: names and declared content types are whatever the
 * uploader chose and are never trusted.
 */
import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';
import { PermanentError } from '../errors.js';

/** Paged formats, analysed page by page (src/documents/). */
export type DocumentKind = 'pdf' | 'tiff';

export interface MediaType {
  mime: string;
  /** True when `prepareImage` can decode it (for a multi-page TIFF: its first page). */
  supported: boolean;
  /** Set when the upload has pages for src/documents/ to read: a PDF, or a TIFF of more than one page. */
  document?: DocumentKind;
}

export const EMPTY_MIME = 'application/x-empty';
export const SVG_MIME = 'image/svg+xml';
export const TEXT_MIME = 'text/plain';
export const UNKNOWN_MIME = 'application/octet-stream';
export const PDF_MIME = 'application/pdf';
const TIFF_MIME = 'image/tiff';

/**
 * What the worker reads, in the words of the `unsupported_media_type` message: the one list behind both.
 * Documents are keyed by their kind, so a new kind cannot go unnamed.
 */
const IMAGE_FORMATS: readonly { name: string; mimes: readonly string[] }[] = [
  { name: 'PNG', mimes: ['image/png'] },
  { name: 'JPEG', mimes: ['image/jpeg'] },
  { name: 'WebP', mimes: ['image/webp'] },
  { name: 'GIF', mimes: ['image/gif'] },
  { name: 'TIFF', mimes: [TIFF_MIME] },
  { name: 'AVIF', mimes: ['image/avif'] },
  { name: 'HEIC/HEIF', mimes: ['image/heic', 'image/heif'] },
];
const DOCUMENT_FORMATS: Readonly<Record<DocumentKind, string>> = { pdf: 'PDF', tiff: 'multi-page TIFF' };

export const SUPPORTED_IMAGE_TYPES: ReadonlySet<string> = new Set(IMAGE_FORMATS.flatMap((format) => format.mimes));

const orList = (names: readonly string[]): string =>
  names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;

/** A comparison manifest's images and prepareImage take single images only; an upload may also be a document. */
export type Accepted = 'images' | 'images or documents';

function expected(accepted: Accepted): string {
  const images = `a ${orList(IMAGE_FORMATS.map((format) => format.name))} image`;
  return accepted === 'images' ? images : `${images}, or a ${orList(Object.values(DOCUMENT_FORMATS))} document`;
}

export function unsupportedMediaType(mime: string, accepted: Accepted): PermanentError {
  const received = mime === EMPTY_MIME ? 'nothing: the file is empty (0 bytes)' : mime;
  return new PermanentError('unsupported_media_type', `expected ${expected(accepted)}, received ${received}`, {
    details: { detected: mime },
  });
}

/** Enough to see past an XML declaration, a comment or a doctype to the root element. */
const SNIFF_BYTES = 4096;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function textHead(bytes: Buffer): string | undefined {
  const head = bytes.subarray(bytes.subarray(0, 3).equals(UTF8_BOM) ? 3 : 0, SNIFF_BYTES);
  try {
    // `stream: true` tolerates a multi-byte character cut at the sniff boundary.
    return new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
  } catch {
    return undefined;
  }
}

/**
 * SVG is XML text to file-type, so it is recognised by its root element: `<svg`, possibly after an XML
 * declaration, comments or a doctype.
 */
const SVG_ROOT = /^(?:\s|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<![^>]*>)*<svg[\s>/]/;

/** Text has no control characters other than tab, line feed, form feed and carriage return. */
const looksLikeText = (text: string): boolean => !/[^\P{Cc}\t\n\f\r]/u.test(text);

/** Reads the chain of image directories only; a TIFF too broken to count is left to fail as an image, as before. */
async function tiffPages(bytes: Buffer): Promise<number> {
  try {
    return (await sharp(bytes, { limitInputPixels: false }).metadata()).pages ?? 1;
  } catch {
    return 1;
  }
}

export async function detectMediaType(bytes: Buffer): Promise<MediaType> {
  if (bytes.length === 0) return { mime: EMPTY_MIME, supported: false };
  const text = textHead(bytes);
  if (text !== undefined && SVG_ROOT.test(text)) return { mime: SVG_MIME, supported: false };
  const detected = await fileTypeFromBuffer(bytes);
  if (detected?.mime === PDF_MIME) return { mime: PDF_MIME, supported: false, document: 'pdf' };
  if (detected?.mime === TIFF_MIME && (await tiffPages(bytes)) > 1) return { mime: TIFF_MIME, supported: true, document: 'tiff' };
  if (detected !== undefined) return { mime: detected.mime, supported: SUPPORTED_IMAGE_TYPES.has(detected.mime) };
  return { mime: text !== undefined && looksLikeText(text) ? TEXT_MIME : UNKNOWN_MIME, supported: false };
}
