/**
 * PDFs through pdf.js (Apache-2.0), drawn with @napi-rs/canvas (MIT, Skia; its binaries ship in npm
 * packages, so nothing is downloaded at install). pdf.js is loaded on the first PDF, not at start: it is
 * 3 MB of JavaScript that image-only workloads never need. In Node it parses on the calling thread
 * ("fake worker"), so this module runs only inside a render child (src/renderChild.ts); one
 * page is parsed and drawn at a time, and its canvas is released before the next. Each page is measured
 * against `PdfBounds` before it is drawn: what a page costs to draw is not what its bytes weigh.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createCanvas } from '@napi-rs/canvas';
import { PermanentError, WorkerError, ensureError } from '../errors.js';
import { SETTINGS } from '../names.js';
import type { Size } from '../media/imageTokens.js';
import type { DocumentSource } from './documentSource.js';
import { pageText, type PageText, type TextRun } from '../media/pageText.js';
import type { PdfBounds } from '../config.js';

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
type PdfDocument = Awaited<ReturnType<PdfJs['getDocument']>['promise']>;
type PdfPage = Awaited<ReturnType<PdfDocument['getPage']>>;
type PageViewport = ReturnType<PdfPage['getViewport']>;
type RenderParameters = Parameters<PdfPage['render']>[0];

type BoundName = keyof PdfBounds;

const BOUND_SETTINGS: Record<BoundName, string> = {
  maxPageOperators: SETTINGS.maxPdfPageOperators,
  maxPageImagePixels: SETTINGS.maxPdfPageImagePixels,
  maxDocumentImagePixels: SETTINGS.maxPdfImagePixels,
  maxPageTextChars: SETTINGS.maxPdfPageTextChars,
  maxDocumentTextChars: SETTINGS.maxPdfTextChars,
};

const BOUND_WORDS: Record<BoundName, string> = {
  maxPageOperators: 'drawing operators on a page',
  maxPageImagePixels: 'image pixels on a page',
  maxDocumentImagePixels: 'image pixels in the document',
  maxPageTextChars: 'text characters on a page',
  maxDocumentTextChars: 'text characters in the document',
};

function checkBound(bounds: PdfBounds, name: BoundName, value: number, page: number): void {
  const limit = bounds[name];
  if (value <= limit) return;
  throw new PermanentError(
    'document_too_complex',
    `expected at most ${limit} ${BOUND_WORDS[name]} (${BOUND_SETTINGS[name]}), received ${value} by page ${page}`,
    { details: { exceeded: BOUND_WORDS[name], value, limit, setting: BOUND_SETTINGS[name], page } },
  );
}

/** Pixels of the images an operator list paints: XObjects carry [id, width, height], inline images and masks their data. */
function imagePixels(ops: PdfJs['OPS'], fnArray: number[], argsArray: unknown[]): number {
  const painting: ReadonlySet<number> = new Set([
    ops.paintImageXObject,
    ops.paintImageXObjectRepeat,
    ops.paintInlineImageXObject,
    ops.paintImageMaskXObject,
  ]);
  let pixels = 0;
  fnArray.forEach((fn, i) => {
    if (!painting.has(fn)) return;
    const args = argsArray[i] as unknown[];
    const [first, width, height] = args;
    if (typeof width === 'number' && typeof height === 'number') pixels += width * height;
    else if (typeof first === 'object' && first !== null && 'width' in first && 'height' in first)
      pixels += Number(first.width) * Number(first.height);
  });
  return pixels;
}

let loaded: Promise<PdfJs> | undefined;
export const pdfjs = (): Promise<PdfJs> => (loaded ??= import('pdfjs-dist/legacy/build/pdf.mjs'));

/** pdf.js reads the 14 standard fonts (which PDFs may use without embedding) and CJK CMaps from files in its package. */
const PDFJS_ROOT = dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
const STANDARD_FONTS = `${join(PDFJS_ROOT, 'standard_fonts')}/`;
const CMAPS = `${join(PDFJS_ROOT, 'cmaps')}/`;

/** The one place that turns what pdf.js threw into the project's error kinds. */
export function pdfError(error: unknown, byteLength: number, stage: string): WorkerError {
  if (error instanceof WorkerError) return error;
  const cause = ensureError(error);
  if (cause.name === 'PasswordException') {
    return new PermanentError(
      'pdf_encrypted',
      'expected a PDF that opens without a password, received an encrypted PDF that needs one; remove the password and upload it again',
      { cause, details: { bytes: byteLength } },
    );
  }
  // Parsing is deterministic: the same bytes fail the same way on every retry.
  const reason = cause.message.trim().split('\n').join('; ');
  return new PermanentError(
    'pdf_corrupt',
    `expected a complete, readable PDF, received ${byteLength} bytes that could not be ${stage}: ${reason}`,
    {
      cause,
      details: { bytes: byteLength, stage },
    },
  );
}

class PdfSource implements DocumentSource {
  readonly kind = 'pdf';
  /** Per page, so that a page drawn again (a repeated read) does not count twice towards the document's bound. */
  private readonly imagePixels = new Map<number, number>();
  private textChars = 0;

  constructor(
    private readonly pdfjs: PdfJs,
    private readonly document: PdfDocument,
    private readonly byteLength: number,
    private readonly bounds: PdfBounds,
  ) {}

  get pageCount(): number {
    return this.document.numPages;
  }

  private async guard<T>(stage: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw pdfError(error, this.byteLength, stage);
    }
  }

  async pageSize(page: number): Promise<Size> {
    return this.guard(`read (page ${page})`, async () => {
      const viewport = (await this.document.getPage(page)).getViewport({ scale: 1 });
      return { width: viewport.width, height: viewport.height };
    });
  }

  /**
   * The viewport that draws the page `size.width` wide (keeping its aspect ratio, and turning it upright),
   * and the vertical stretch that corrects the height's rounding so the page fills `size` exactly.
   */
  private async placed(page: number, size: Size): Promise<{ proxy: PdfPage; viewport: PageViewport; stretch: number }> {
    const proxy = await this.document.getPage(page);
    const viewport = proxy.getViewport({ scale: size.width / proxy.getViewport({ scale: 1 }).width });
    return { proxy, viewport, stretch: size.height / viewport.height };
  }

  async pageText(page: number, size: Size): Promise<PageText> {
    return this.guard(`read (text of page ${page})`, async () => {
      const { proxy, viewport, stretch } = await this.placed(page, size);
      const content = await proxy.getTextContent();
      const chars = content.items.reduce((sum, item) => sum + ('str' in item ? item.str.length : 0), 0);
      checkBound(this.bounds, 'maxPageTextChars', chars, page);
      this.textChars += chars;
      checkBound(this.bounds, 'maxDocumentTextChars', this.textChars, page);
      // Marked-content markers carry no text.
      const runs: TextRun[] = content.items.flatMap((item) => ('str' in item ? [item] : []));
      const [a, b, c, d, e, f] = viewport.transform as [number, number, number, number, number, number];
      return pageText(runs, [a, b * stretch, c, d * stretch, e, f * stretch], size.width, size.height);
    });
  }

  async renderPage(page: number, size: Size): Promise<Buffer> {
    return this.guard(`rendered (page ${page})`, async () => {
      const { proxy, viewport, stretch } = await this.placed(page, size);
      // The list render() draws from (same intent and annotation mode): built once, measured before drawing.
      const { fnArray, argsArray } = await proxy.getOperatorList({ annotationMode: this.pdfjs.AnnotationMode.ENABLE });
      checkBound(this.bounds, 'maxPageOperators', fnArray.length, page);
      const pixels = imagePixels(this.pdfjs.OPS, fnArray, argsArray);
      checkBound(this.bounds, 'maxPageImagePixels', pixels, page);
      this.imagePixels.set(page, pixels);
      const documentPixels = [...this.imagePixels.values()].reduce((sum, n) => sum + n, 0);
      checkBound(this.bounds, 'maxDocumentImagePixels', documentPixels, page);
      const canvas = createCanvas(size.width, size.height);
      // pdf.js is typed against the DOM's context; @napi-rs/canvas implements the same 2D API (pdf.js itself uses it in Node).
      const canvasContext = canvas.getContext('2d') as unknown as RenderParameters['canvasContext'];
      await proxy.render({ canvasContext, viewport, transform: [1, 0, 0, stretch, 0, 0], background: '#ffffff' }).promise;
      // Fonts and images of this page are not needed again: free them before the next page.
      proxy.cleanup();
      // The canvas MUST stay referenced until its encode on the threadpool is done (@napi-rs/canvas#1312:
      // an unreferenced canvas was freed mid-encode); then its pixels are released at once.
      const png = await canvas.encode('png');
      canvas.width = 0;
      return png;
    });
  }

  close(): Promise<void> {
    return this.document.destroy();
  }
}

export async function openPdf(bytes: Uint8Array, maxInputPixels: number, bounds: PdfBounds): Promise<DocumentSource> {
  const loadedPdfjs = await pdfjs();
  const { getDocument, VerbosityLevel } = loadedPdfjs;
  const task = getDocument({
    // pdf.js takes ownership of (and detaches) the array it is given: hand it a copy.
    data: new Uint8Array(bytes),
    standardFontDataUrl: STANDARD_FONTS,
    cMapUrl: CMAPS,
    cMapPacked: true,
    // Never evaluate code from a document (fonts compiled to functions; CVE-2024-4367 was this path).
    isEvalSupported: false,
    // Reject what cannot be parsed rather than draw what could be recovered: half a page sent to the
    // model reads as a complete one, and its answer would be silently wrong.
    stopAtErrors: true,
    // An image inside the PDF larger than MAX_INPUT_PIXELS is not decoded: pdf.js leaves it out (and a
    // scan page then comes out blank, which DocumentPage.blank reports).
    maxImageSize: maxInputPixels,
    // Warnings about harmless oddities would flood the logs; errors still reject the promises.
    verbosity: VerbosityLevel.ERRORS,
  });
  try {
    return new PdfSource(loadedPdfjs, await task.promise, bytes.length, bounds);
  } catch (error) {
    await task.destroy();
    throw pdfError(error, bytes.length, 'opened');
  }
}
