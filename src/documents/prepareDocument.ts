/**
 * From the bytes of a PDF or multi-page TIFF to page images the model can be sent, in the order that
 * protects the worker and the bill: open (page count refused above MAX_PAGES, encrypted or broken PDFs
 * refused) -> plan (each page's size and image tokens, and its text layer, with nothing drawn) -> estimate
 * the whole document and refuse it above DOCUMENT_TOKEN_BUDGET -> only then draw, one page at a time.
 * Each rendering goes through `prepareImage` like any uploaded image, so pages get the same flattening,
 * encoding and token accounting as single images.
 *
 * Pages for the model are all drawn before prepareDocument returns: a page that cannot be drawn fails the
 * document before any call is paid for. Pages for OCR are drawn when they are read, and only whether each
 * came out blank is kept: the offline provider reads page N before page N+1 is drawn, so a document holds
 * one 300-dpi rendering at a time instead of all of them until the job ends.
 */
import sharp from 'sharp';
import type { DocumentSettings, ModelSettings } from '../config.js';
import type { Size } from '../media/imageTokens.js';
import { imageTokens } from '../media/imageTokens.js';
import { modelCopy, prepareImage, type PrepareOptions } from '../media/prepareImage.js';
import type { Profile } from '../profiles/types.js';
import type { PreparedImage, RequestImage } from '../media/imageTypes.js';
import { chunkPages } from './chunkPages.js';
import type { DocumentKind } from '../media/detectMediaType.js';
import { openDocument, type DocumentSource } from './documentSource.js';
import { assertWithinBudget, estimateDocument, type DocumentEstimate } from './estimate.js';
import { hasTextLayer, type PageText } from '../media/pageText.js';
import { capPixels, renderSize, type RenderFor } from './renderSize.js';

export interface DocumentPage {
  /** 1-based. */
  page: number;
  /** As sent to the model; `source` is the rendering it was made from (PNG). */
  image: RequestImage;
  /** The PDF's text layer with boxes in `image.source` pixels; null for TIFF pages. */
  text: PageText | null;
  /** Whether `text` has enough characters to stand for the page (see MIN_TEXT_LAYER_CHARS). */
  hasText: boolean;
  /**
   * No text layer and nothing darker than BLANK_MIN drawn; pdf.js draws a content stream it cannot decode
   * as nothing, so a blank page may be a damaged one.
   */
  blank: boolean;
}

/** A page as planned, before it is drawn: what the estimate, the prompt and the record need of it. */
export interface PlannedPage {
  /** 1-based. */
  page: number;
  /** The size it is drawn at. */
  size: Size;
  /** Image tokens of `size`, for the estimate. */
  imageTokens: number;
  /** The copy the model is sent, as `prepareImage` will make it from the rendering. */
  model: Omit<PreparedImage, 'bytes' | 'mime'>;
  text: PageText | null;
  hasText: boolean;
}

export interface PreparedDocument {
  kind: DocumentKind;
  pages: PlannedPage[];
  /** 1-based page numbers of each model request, in order. */
  requests: number[][];
  estimate: DocumentEstimate;
  /**
   * Page `n` (1-based), drawn: pages for the model were drawn up front; a page for OCR is drawn now, one at
   * a time, and the caller is the only holder of its rendering.
   */
  draw(n: number): Promise<DocumentPage>;
  /** Whether page `n` came out blank; undefined until it has been drawn. */
  blank(n: number): boolean | undefined;
  /** Ends the document: pages for OCR are drawn from its source (a render child, for a PDF) until then. */
  close(): Promise<void>;
}

export interface DocumentOptions {
  /** The blob name; page `n` is sent as `<name>#page=<n>` (RFC 8118's fragment for PDF pages). */
  name: string;
  /** The model, detail and encoding of the profile; `maxInputPixels` limits TIFF pages and images inside a PDF. */
  prepare: PrepareOptions;
  limits: DocumentSettings;
  /** 'model': pages at the size the model looks at; 'ocr': at OCR resolution, for the offline provider. */
  renderFor: RenderFor;
  /** The estimate counts its prompts and maximum output. */
  profile: Profile;
  priceOverride?: ModelSettings['priceOverride'];
  /** The completion budget of each request (reasoning included), as the provider will send it. */
  completionBudget: number;
  /** Whether the text layer will be sent with the pages (the estimate counts it). */
  grounding: boolean;
  /** Whether `limits.tokenBudget` applies: not for the offline provider, which spends no tokens (the estimate is still made). */
  budgeted: boolean;
}

/** Paper white and scanner noise stay above it; any text or rule goes below. */
const BLANK_MIN = 250;

async function isBlank(bytes: Buffer): Promise<boolean> {
  const { channels } = await sharp(bytes).stats();
  return channels.every((channel) => channel.min >= BLANK_MIN);
}

async function planPage(source: DocumentSource, page: number, options: DocumentOptions): Promise<PlannedPage> {
  const { model, detail } = options.prepare;
  const { maxPagePixels } = options.limits;
  const natural = await source.pageSize(page);
  const size =
    source.kind === 'pdf'
      ? renderSize(natural, { renderFor: options.renderFor, model, detail, maxPagePixels })
      : capPixels(natural, maxPagePixels);
  const text = await source.pageText(page, size);
  return {
    page,
    size,
    imageTokens: imageTokens(model, detail, size.width, size.height),
    model: modelCopy(options.prepare, size.width, size.height),
    text,
    hasText: hasTextLayer(text),
  };
}

async function renderPage(source: DocumentSource, planned: PlannedPage, options: DocumentOptions): Promise<DocumentPage> {
  const png = await source.renderPage(planned.page, planned.size);
  // The rendering is the worker's own and already within MAX_PAGE_PIXELS: it is its own decode limit.
  const prepared = await prepareImage(png, 'image/png', { ...options.prepare, maxInputPixels: planned.size.width * planned.size.height });
  const { text, hasText } = planned;
  // At the model's size the rendering and the model's copy have the same pixels: only the copy is kept.
  // For OCR the full rendering goes to the reader (as a PNG, the canvas is long freed).
  const rendering =
    options.renderFor === 'model' ? { ...prepared.source, bytes: prepared.image.bytes, mime: prepared.image.mime } : prepared.source;
  return {
    page: planned.page,
    image: { name: `${options.name}#page=${planned.page}`, image: prepared.image, source: rendering },
    text,
    hasText,
    // Measured on the model's copy, the smallest image of the page (~20 ms), and only where no text says otherwise.
    blank: !hasText && (await isBlank(prepared.image.bytes)),
  };
}

export async function prepareDocument(bytes: Buffer, kind: DocumentKind, options: DocumentOptions): Promise<PreparedDocument> {
  const { limits } = options;
  const source = await openDocument(bytes, kind, { ...limits, maxInputPixels: options.prepare.maxInputPixels });
  // Pages for OCR are drawn from the source after this returns: it stays open until the document is closed.
  let keepOpen = false;
  let closed = false;
  try {
    const pages: PlannedPage[] = [];
    for (let page = 1; page <= source.pageCount; page++) pages.push(await planPage(source, page, options));
    const requests = chunkPages(pages.length, limits.maxImagesPerRequest);
    const estimate = estimateDocument(pages, requests, {
      profile: options.profile,
      model: options.prepare.model,
      completionBudget: options.completionBudget,
      grounding: options.grounding,
      ...(options.priceOverride === undefined ? {} : { priceOverride: options.priceOverride }),
    });
    if (options.budgeted) assertWithinBudget(estimate, limits.tokenBudget, pages.length);
    const blank = new Map<number, boolean>();
    const drawPage = async (n: number): Promise<DocumentPage> => {
      const planned = pages[n - 1];
      if (planned === undefined) throw new RangeError(`page ${n} was asked for, the document has ${pages.length}`);
      // A closed source's render child may be another document's by now.
      if (closed) throw new Error(`page ${n} was asked for after the document was closed`);
      const drawn = await renderPage(source, planned, options);
      blank.set(n, drawn.blank);
      return drawn;
    };
    const document = { kind, pages, requests, estimate, blank: (n: number) => blank.get(n) };
    if (options.renderFor === 'ocr') {
      keepOpen = true;
      const close = async (): Promise<void> => {
        if (closed) return;
        closed = true;
        await source.close();
      };
      return { ...document, draw: drawPage, close };
    }
    // One page at a time: only one canvas and one decoded page are alive at once.
    const drawn: DocumentPage[] = [];
    for (const planned of pages) drawn.push(await drawPage(planned.page));
    const draw = async (n: number): Promise<DocumentPage> => drawn[n - 1] ?? drawPage(n);
    return { ...document, draw, close: () => Promise.resolve() };
  } finally {
    if (!keepOpen) {
      closed = true;
      await source.close();
    }
  }
}
