/**
 * A multi-page upload opened far enough to know its pages, with nothing rendered yet. The page limit is
 * checked here, on open, so a 200-page PDF is refused before a single page is parsed or drawn.
 */
import type { DocumentSettings } from '../config.js';
import { PermanentError } from '../errors.js';
import { SETTINGS } from '../names.js';
import type { Size } from '../media/imageTokens.js';
import type { PageText } from '../media/pageText.js';
import { openIsolatedPdf } from './isolatedPdf.js';
import { openTiff } from './tiffSource.js';
import type { DocumentKind } from '../media/detectMediaType.js';

export interface DocumentSource {
  readonly kind: DocumentKind;
  readonly pageCount: number;
  /** Upright size of a 1-based page: points for a PDF (after /Rotate), pixels for a TIFF (after orientation). */
  pageSize(page: number): Promise<Size>;
  /** The page's text layer with boxes in the pixels of a rendering of `size`; null when the format has none. */
  pageText(page: number, size: Size): Promise<PageText | null>;
  /** The page drawn at exactly `size`, on white, as a PNG. */
  renderPage(page: number, size: Size): Promise<Buffer>;
  close(): Promise<void>;
}

export interface OpenOptions extends Pick<DocumentSettings, 'pdf' | 'render'> {
  /** MAX_PAGES. */
  maxPages: number;
  /** Largest image decoded: a TIFF page, or an image inside a PDF (MAX_INPUT_PIXELS, as for single images). */
  maxInputPixels: number;
}

export async function openDocument(bytes: Buffer, kind: DocumentKind, options: OpenOptions): Promise<DocumentSource> {
  const source =
    kind === 'pdf' ? await openIsolatedPdf(bytes, options.maxInputPixels, options) : await openTiff(bytes, options.maxInputPixels);
  if (source.pageCount > options.maxPages) {
    await source.close();
    throw new PermanentError(
      'too_many_pages',
      `expected a document of at most ${options.maxPages} pages (${SETTINGS.maxPages}), received a ${kind.toUpperCase()} of ${source.pageCount} pages`,
      { details: { pages: source.pageCount, maxPages: options.maxPages } },
    );
  }
  return source;
}
