/** The messages between the worker and a render child (src/isolation/renderWorker.ts): one reply per request. */
import type { Size } from '../pipeline/imageTokens.js';
import type { PageText } from '../documents/pageText.js';
import type { PdfBounds } from '../documents/pdfSource.js';

export type RenderRequest =
  | { op: 'openPdf'; bytes: Uint8Array; maxInputPixels: number; bounds: PdfBounds }
  | { op: 'pageSize'; page: number }
  | { op: 'pageText'; page: number; size: Size }
  | { op: 'renderPage'; page: number; size: Size }
  | { op: 'closePdf' }
  | { op: 'decodeHeic'; bytes: Uint8Array; maxInputPixels: number };

/** The child's first message: it has loaded what it draws with, and calls may start. */
export interface Ready {
  ready: true;
}

/** A decoded HEIC image; `rgba` is absent when it is larger than `maxInputPixels` and was not decoded. */
export interface DecodedHeic {
  width: number;
  height: number;
  rgba?: Uint8ClampedArray;
}

export type RenderReply =
  | { op: 'openPdf'; value: { pageCount: number } }
  | { op: 'pageSize'; value: Size }
  | { op: 'pageText'; value: PageText }
  | { op: 'renderPage'; value: Uint8Array }
  | { op: 'closePdf'; value: null }
  | { op: 'decodeHeic'; value: DecodedHeic }
  /** `code` is set for the project's permanent errors (a corrupt PDF, a bound exceeded), which cross as they are. */
  | { op: 'error'; value: { message: string; code?: string; details?: Record<string, unknown> } };
