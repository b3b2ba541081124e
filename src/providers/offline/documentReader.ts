/**
 * The offline provider's one entry point for reading text: OCR of the upload, then for `invoice` and
 * `receipt` the fields by layout rules, for `describe` the text (the kind of image comes from its pixels, imageFacts.ts), and for any
 * other profile the text with a statement that the profile cannot be answered in full offline.
 */
import { TransientError } from '../../errors.js';
import { imageError } from '../../media/prepareImage.js';
import type { InvoiceData } from '../../profiles/invoice.js';
import type { ReceiptData } from '../../profiles/receipt.js';
import type { RequestImage } from '../../media/imageTypes.js';
import type { FieldEvidence } from '../types.js';
import { imageStats, looksLikePhoto } from './classifyImage.js';
import { extractInvoice } from './extractInvoice.js';
import { extractReceipt } from './extractReceipt.js';
import type { Extraction } from './fieldRules.js';
import { analyseLayout } from './ocrLayout.js';
import type { OcrPage } from '../../ocr/ocrPage.js';
import type { OcrPool } from '../../ocr/ocrPool.js';
import { createOcrPool, OCR_ENGINE } from '../../ocr/ocrPool.js';
import type { PreparationSteps } from '../../ocr/prepareForOcr.js';
import { DEFAULT_STEPS } from '../../ocr/prepareForOcr.js';
import { readPage } from '../../ocr/readPage.js';

export interface DocumentImage {
  /** The upload as stored: any format sharp decodes. */
  bytes: Buffer;
  mime: string;
  /** Upright size (after EXIF orientation). */
  width: number;
  height: number;
}

/** sharp decodes every supported upload but HEIC; for those the prepared (re-encoded) image is read. */
export function ocrInput({ image, source }: RequestImage): DocumentImage {
  return /^image\/hei[cf]$/.test(source.mime)
    ? { bytes: image.bytes, mime: image.mime, width: image.width, height: image.height }
    : { bytes: source.bytes, mime: source.mime, width: source.width, height: source.height };
}

export interface DocumentReading {
  /** The profile's data (not yet validated) for profiles read in full; absent otherwise. */
  data?: InvoiceData | ReceiptData;
  /** What OCR read, one visual row per line, columns separated by two spaces. */
  text: string;
  /** Keyed by field path (`total`, `line_items[0].total`). */
  evidence: Record<string, FieldEvidence>;
  warnings: string[];
  /** e.g. `tesseract.js 7.0.0 (tesseract 5.1.0-288-g2a9c1)` */
  engine: string;
  /** Mean OCR word confidence, 0..1. */
  confidence: number;
}

export interface DocumentReaderOptions {
  /** OCR workers kept at most (~250 MB each). Default 1. */
  poolSize?: number;
  /** Decoding refuses larger images. Default 100 MP, as the pipeline's default. */
  maxInputPixels?: number;
  /** Overrides the measured preparation defaults (the evaluation uses this to compare steps). */
  steps?: Partial<PreparationSteps>;
  /** A pool to use instead of creating one (not closed by `close()`). */
  pool?: OcrPool;
  /** OCR time in all for a profile with no fields to extract. Default 10 s. */
  glanceOcrMs?: number;
}

export interface ReadOptions {
  signal?: AbortSignal;
}

export interface TextReading {
  /** As `DocumentReading.text`. */
  text: string;
  engine: string;
}

export interface DocumentReader {
  read(profileName: string, image: DocumentImage, options?: ReadOptions): Promise<DocumentReading>;
  /** OCR alone: the text of an image, with no fields, kind or image statistics. */
  readText(bytes: Buffer, options?: ReadOptions): Promise<TextReading>;
  close(): Promise<void>;
}

const EXTRACTORS: Readonly<Record<string, (page: OcrPage) => Extraction<InvoiceData | ReceiptData>>> = {
  invoice: extractInvoice,
  receipt: extractReceipt,
};

/**
 * The layout rules alone, for words that need no OCR (a PDF's text layer); undefined for profiles the
 * reader does not answer in full.
 */
export function extractFields(profileName: string, page: OcrPage): Extraction<InvoiceData | ReceiptData> | undefined {
  return EXTRACTORS[profileName]?.(page);
}

const PHOTO_OCR_PIXELS = 1_000_000;
/** A 4K screen downscaled to this still reads; a 100 MP poster read in full would not finish in a glance. */
const GLANCE_OCR_PIXELS = 4_000_000;
/** A glance's OCR in all: a picture that needs longer (noise, dense texture) is described without its text. */
const GLANCE_OCR_MS = 10_000;

/** Below this mean word confidence the values are likely misread. */
const LOW_CONFIDENCE = 0.6;

export function createDocumentReader(options: DocumentReaderOptions = {}): DocumentReader {
  const pool = options.pool ?? createOcrPool({ size: options.poolSize ?? 1 });
  const steps: PreparationSteps = { ...DEFAULT_STEPS, ...options.steps };
  const maxInputPixels = options.maxInputPixels ?? 100_000_000;
  const glanceOcrMs = options.glanceOcrMs ?? GLANCE_OCR_MS;
  // Profiles with no fields to extract need the text seen and the kind of image: one reading, not the
  // re-readings for rotated or small print that a photo of noise turns into a minute of OCR.
  const glanceSteps: PreparationSteps = { ...steps, orientation: false, minTextHeight: 0, maxPixels: GLANCE_OCR_PIXELS };
  // A photo's text is signs and labels, legible at a megapixel; its full size costs OCR seconds per megapixel.
  const photoSteps: PreparationSteps = { ...glanceSteps, maxPixels: PHOTO_OCR_PIXELS };

  async function read(profileName: string, image: DocumentImage, readOptions: ReadOptions = {}): Promise<DocumentReading> {
    // A thumbnail's statistics first: they say how much OCR the picture deserves.
    const stats = await imageStats(image.bytes, maxInputPixels).catch((error: unknown) => {
      throw imageError(error, { mime: image.mime, byteLength: image.bytes.length, maxInputPixels });
    });
    const glance = EXTRACTORS[profileName] === undefined;
    const readingSteps = !glance ? steps : looksLikePhoto(stats) ? photoSteps : glanceSteps;
    const signal = readOptions.signal === undefined ? {} : { signal: readOptions.signal };
    const reading = await readPage(pool, image.bytes, readingSteps, maxInputPixels, {
      ...signal,
      ...(glance ? { timeoutMs: glanceOcrMs } : {}),
    }).catch((error: unknown) => {
      // A glance that runs out of time answers without text; a cancelled job still fails.
      if (!glance || !(error instanceof TransientError) || error.code !== 'timeout' || readOptions.signal?.aborted === true) throw error;
      return undefined;
    });
    const page: OcrPage = reading?.page ?? { width: image.width, height: image.height, lines: [], confidence: 0, engine: OCR_ENGINE };
    const stopped = reading === undefined ? [`OCR stopped after ${glanceOcrMs / 1000} s without a reading: no text is reported`] : [];
    const base = {
      text: analyseLayout(page).text,
      engine: page.engine,
      confidence: page.confidence,
    };
    const lowConfidence =
      page.confidence < LOW_CONFIDENCE && page.lines.length > 0
        ? [`OCR confidence is low (${page.confidence}): values may be misread`]
        : [];
    const extracted = extractFields(profileName, page);
    if (extracted !== undefined) {
      const { data, evidence, warnings } = extracted;
      return { ...base, data, evidence, warnings: [...warnings, ...lowConfidence] };
    }
    const warnings =
      profileName === 'describe'
        ? []
        : [`the offline provider cannot answer the "${profileName}" profile in full: only the text read by OCR is returned`];
    return { ...base, evidence: {}, warnings: [...warnings, ...stopped, ...lowConfidence] };
  }

  async function readText(bytes: Buffer, readOptions: ReadOptions = {}): Promise<TextReading> {
    const { page } = await readPage(
      pool,
      bytes,
      steps,
      maxInputPixels,
      readOptions.signal === undefined ? {} : { signal: readOptions.signal },
    );
    return { text: analyseLayout(page).text, engine: page.engine };
  }

  return { read, readText, close: async () => (options.pool === undefined ? pool.close() : undefined) };
}
