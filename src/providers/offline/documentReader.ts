/**
 * The offline provider's one entry point for reading text: OCR of the upload, then for `invoice` and
 * `receipt` the fields by layout rules, for `describe` the text and the kind of image, and for any
 * other profile the text with a statement that the profile cannot be answered in full offline.
 */
import { imageError } from '../../pipeline/prepareImage.js';
import type { InvoiceData } from '../../profiles/invoice.js';
import type { ReceiptData } from '../../profiles/receipt.js';
import type { FieldEvidence, RequestImage } from '../types.js';
import type { ImageKind } from './classifyImage.js';
import { classifyImage, imageStats } from './classifyImage.js';
import { extractInvoice } from './extractInvoice.js';
import { extractReceipt } from './extractReceipt.js';
import type { Extraction } from './fieldRules.js';
import { analyseLayout } from './ocrLayout.js';
import type { OcrPage } from './ocrPage.js';
import type { OcrPool } from './ocrPool.js';
import { createOcrPool } from './ocrPool.js';
import type { PreparationSteps } from './prepareForOcr.js';
import { DEFAULT_STEPS } from './prepareForOcr.js';
import { readPage } from './readPage.js';

export type { ImageKind } from './classifyImage.js';

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
  kind: ImageKind;
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

/** Below this mean word confidence the values are likely misread. */
const LOW_CONFIDENCE = 0.6;

export function createDocumentReader(options: DocumentReaderOptions = {}): DocumentReader {
  const pool = options.pool ?? createOcrPool({ size: options.poolSize ?? 1 });
  const steps: PreparationSteps = { ...DEFAULT_STEPS, ...options.steps };
  const maxInputPixels = options.maxInputPixels ?? 100_000_000;

  async function read(profileName: string, image: DocumentImage, readOptions: ReadOptions = {}): Promise<DocumentReading> {
    const [{ page }, stats] = await Promise.all([
      readPage(pool, image.bytes, steps, maxInputPixels, readOptions.signal),
      // Either decode may fail first; both must reject with the project's error kinds.
      imageStats(image.bytes, maxInputPixels).catch((error: unknown) => {
        throw imageError(error, { mime: image.mime, byteLength: image.bytes.length, maxInputPixels });
      }),
    ]);
    const base = {
      text: analyseLayout(page).text,
      kind: classifyImage(page, stats, image),
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
    return { ...base, evidence: {}, warnings: [...warnings, ...lowConfidence] };
  }

  async function readText(bytes: Buffer, readOptions: ReadOptions = {}): Promise<TextReading> {
    const { page } = await readPage(pool, bytes, steps, maxInputPixels, readOptions.signal);
    return { text: analyseLayout(page).text, engine: page.engine };
  }

  return { read, readText, close: async () => (options.pool === undefined ? pool.close() : undefined) };
}
