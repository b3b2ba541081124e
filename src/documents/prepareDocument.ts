/**
 * From the bytes of a PDF or multi-page TIFF to page images the model can be sent, in the order that
 * protects the worker and the bill: open (page count refused above MAX_PAGES, encrypted or broken PDFs
 * refused) -> plan (each page's size and image tokens, and its text layer, with nothing drawn) -> estimate
 * the whole document and refuse it above DOCUMENT_TOKEN_BUDGET -> only then render, one page at a time.
 * Each rendering goes through `prepareImage` like any uploaded image, so pages get the same flattening,
 * encoding and token accounting as single images.
 */
import sharp from 'sharp';
import type { DocumentSettings, ModelSettings } from '../config.js';
import type { Size } from '../pipeline/imageTokens.js';
import { imageTokens } from '../pipeline/imageTokens.js';
import { prepareImage, type PrepareOptions } from '../pipeline/prepareImage.js';
import type { Profile } from '../profiles/types.js';
import type { RequestImage } from '../providers/types.js';
import { chunkPages } from './chunkPages.js';
import { openDocument, type DocumentKind, type DocumentSource } from './documentSource.js';
import { assertWithinBudget, estimateDocument, type DocumentEstimate } from './estimate.js';
import { hasTextLayer, type PageText } from './pageText.js';
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
   * No text layer and nothing darker than BLANK_MIN drawn. pdf.js draws a content stream it cannot
   * decode as nothing (a warning, not an error, even with `stopAtErrors`), so a blank page may be a
   * damaged one.
   */
  blank: boolean;
}

export interface PreparedDocument {
  kind: DocumentKind;
  pages: DocumentPage[];
  /** 1-based page numbers of each model request, in order. */
  requests: number[][];
  estimate: DocumentEstimate;
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

interface PlannedPage {
  page: number;
  size: Size;
  imageTokens: number;
  text: PageText | null;
}

async function planPage(source: DocumentSource, page: number, options: DocumentOptions): Promise<PlannedPage> {
  const { model, detail } = options.prepare;
  const { maxPagePixels } = options.limits;
  const natural = await source.pageSize(page);
  const size =
    source.kind === 'pdf'
      ? renderSize(natural, { renderFor: options.renderFor, model, detail, maxPagePixels })
      : capPixels(natural, maxPagePixels);
  return { page, size, imageTokens: imageTokens(model, detail, size.width, size.height), text: await source.pageText(page, size) };
}

async function renderPage(source: DocumentSource, planned: PlannedPage, options: DocumentOptions): Promise<DocumentPage> {
  const png = await source.renderPage(planned.page, planned.size);
  // The rendering is the worker's own and already within MAX_PAGE_PIXELS: it is its own decode limit.
  const prepared = await prepareImage(png, 'image/png', { ...options.prepare, maxInputPixels: planned.size.width * planned.size.height });
  const hasText = hasTextLayer(planned.text);
  // At the model's size the rendering and the model's copy have the same pixels: only the copy is kept.
  // OCR reads the full rendering later, so it is kept for 'ocr' (as a PNG, the canvas is long freed).
  const rendering = options.renderFor === 'model' ? { ...prepared.source, bytes: prepared.image.bytes, mime: prepared.image.mime } : prepared.source;
  return {
    page: planned.page,
    image: { name: `${options.name}#page=${planned.page}`, image: prepared.image, source: rendering },
    text: planned.text,
    hasText,
    // Measured on the model's copy, the smallest image of the page (~20 ms), and only where no text says otherwise.
    blank: !hasText && (await isBlank(prepared.image.bytes)),
  };
}

export async function prepareDocument(bytes: Buffer, kind: DocumentKind, options: DocumentOptions): Promise<PreparedDocument> {
  const { limits } = options;
  const source = await openDocument(bytes, kind, { ...limits, maxInputPixels: options.prepare.maxInputPixels });
  try {
    const plan: PlannedPage[] = [];
    for (let page = 1; page <= source.pageCount; page++) plan.push(await planPage(source, page, options));
    const requests = chunkPages(plan.length, limits.maxImagesPerRequest);
    const estimate = estimateDocument(plan, requests, {
      profile: options.profile,
      model: options.prepare.model,
      completionBudget: options.completionBudget,
      grounding: options.grounding,
      ...(options.priceOverride === undefined ? {} : { priceOverride: options.priceOverride }),
    });
    if (options.budgeted) assertWithinBudget(estimate, limits.tokenBudget, plan.length);
    // One page at a time: only one canvas and one decoded page are alive at once.
    const pages: DocumentPage[] = [];
    for (const planned of plan) pages.push(await renderPage(source, planned, options));
    return { kind, pages, requests, estimate };
  } finally {
    await source.close();
  }
}
