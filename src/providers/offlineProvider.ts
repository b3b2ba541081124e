/**
 * The provider that needs no network: it answers from what the pixels show and what OCR reads. Invoices
 * and receipts are read in full (OCR word boxes and layout rules, or a PDF's text layer); `describe` gets
 * the pixel facts and the text found; other profiles get nulls and empty lists (never a value that
 * reads as a detection), the text, a warning and `provider.info.unfilled` saying which fields were not read.
 */
import sharp from 'sharp';
import { SETTINGS } from '../names.js';
import { compareProfile } from '../profiles/compare.js';
import { describeProfile, type DescribeData } from '../profiles/describe.js';
import type { Profile } from '../profiles/types.js';
import { compareFromFacts } from './offline/compareFacts.js';
import { mergeAnswers } from './mergeAnswers.js';
import { createDocumentReader, extractFields, ocrInput, type DocumentReader, type DocumentReading } from './offline/documentReader.js';
import { classifyKind, textCounts } from './offline/classifyImage.js';
import { imageFacts, type ImageFacts } from './offline/imageFacts.js';
import type { OcrLine, OcrPage } from '../ocr/ocrPage.js';
import type { AnalysisRequest, AnalysisResponse, FieldEvidence, PagesRequest, RequestPage, VisionProvider } from './types.js';
import type { RequestImage } from '../media/imageTypes.js';
import type { PreparationSteps } from '../ocr/prepareForOcr.js';

/** The facts with the kind of image decided again from what OCR read, when it read with confidence. */
function withText(facts: ImageFacts, text: string | null): ImageFacts {
  if (text === null) return facts;
  const { kind, reason } = classifyKind(facts.measures, facts, textCounts(text));
  return { ...facts, kind, kindReason: reason };
}

function describeFromFacts(facts: ImageFacts): DescribeData {
  const upright =
    facts.exifOrientation !== undefined && facts.exifOrientation !== 1
      ? ` (turned upright from EXIF orientation ${facts.exifOrientation})`
      : '';
  const colours = facts.dominantColors.length === 0 ? '' : ` Dominant colours: ${facts.dominantColors.join(', ')}.`;
  return {
    summary:
      `A ${facts.shape} ${facts.format.toUpperCase()} image of ${facts.width}x${facts.height} pixels${upright}. ` +
      `It looks like a ${facts.kind}: ${facts.kindReason}.` +
      `${colours} Described offline from pixel statistics; no model was asked.`,
    image_type: facts.kind,
    text_found: null,
    objects: [],
    dominant_colors: facts.dominantColors,
    tags: [facts.kind, facts.shape, facts.format],
  };
}

const ENGINE = `sharp ${sharp.versions.sharp}`;

type JsonSchema = Record<string, unknown>;

const isSchema = (value: unknown): value is JsonSchema => typeof value === 'object' && value !== null && !Array.isArray(value);

/** An answer for a profile the offline provider cannot read, and which of its fields say so. */
export interface UnfilledAnswer {
  data: unknown;
  /** Field paths set to null. */
  nulls: string[];
  /** Field paths whose schema forbids null: they hold '' / 0 / false / the first enum value, not a reading. */
  placeholders: string[];
}

/**
 * A value that no reader mistakes for a detection: null wherever the schema allows it, [] for arrays,
 * objects built field by field; only a field that may not be null (a profile file's schema) gets the
 * emptiest value of its type, and is named in `placeholders`.
 */
export function unfilledAnswer(schema: JsonSchema): UnfilledAnswer {
  const nulls: string[] = [];
  const placeholders: string[] = [];
  const walk = (node: JsonSchema, path: string): unknown => {
    const types: unknown[] = Array.isArray(node.type) ? node.type : [node.type];
    const branches = Array.isArray(node.anyOf) ? node.anyOf.filter(isSchema) : [];
    if (types.includes('null') || branches.some((branch) => branch.type === 'null')) {
      nulls.push(path);
      return null;
    }
    const [firstBranch] = branches;
    if (!Array.isArray(node.enum) && !('const' in node) && firstBranch !== undefined) return walk(firstBranch, path);
    if (types[0] === 'array') return [];
    if (types[0] === 'object' && !Array.isArray(node.enum) && !('const' in node)) {
      const properties = isSchema(node.properties) ? node.properties : {};
      return Object.fromEntries(
        Object.entries(properties).map(([key, property]) => {
          const at = path === '' ? key : `${path}.${key}`;
          return [key, isSchema(property) ? walk(property, at) : null];
        }),
      );
    }
    placeholders.push(path);
    if (Array.isArray(node.enum)) return node.enum[0];
    if ('const' in node) return node.const;
    switch (types[0]) {
      case 'string':
        return '';
      case 'number':
      case 'integer':
        return 0;
      case 'boolean':
        return false;
      default:
        return null;
    }
  };
  return { data: walk(schema, ''), nulls, placeholders };
}

const NEEDS_MODEL = `without a model endpoint (set ${SETTINGS.azureOpenAiEndpoint} or ${SETTINGS.openAiApiKey})`;

/** The sentence for `provider.info.unfilled`: which fields hold nothing read, and why. */
function unfilledNote(profile: Profile, { nulls, placeholders }: UnfilledAnswer): string {
  const parts = [`the offline provider cannot read profile "${profile.name}" ${NEEDS_MODEL}; no field was read`];
  if (nulls.length > 0) parts.push(`null: ${nulls.join(', ')}`);
  parts.push('lists are empty');
  if (placeholders.length > 0) parts.push(`placeholders where the schema forbids null (not readings): ${placeholders.join(', ')}`);
  return parts.join('; ');
}

function answer(profile: Profile, facts: ImageFacts): { data: unknown; warnings: string[]; unfilled?: string } {
  if (profile.name === describeProfile.name) return { data: describeFromFacts(facts), warnings: [] };
  const unfilled = unfilledAnswer(profile.jsonSchema);
  return {
    data: unfilled.data,
    warnings: [`the offline provider cannot read the fields of profile "${profile.name}" ${NEEDS_MODEL}; every field is null or empty`],
    unfilled: unfilledNote(profile, unfilled),
  };
}

interface OfflineAnswer {
  data: unknown;
  warnings: string[];
  /** For a profile not read: `provider.info.unfilled`. */
  unfilled?: string;
  evidence?: Record<string, FieldEvidence>;
  /** What OCR read and with which engine, for the result's provider info. */
  ocr?: { text: string; engine: string };
}

type TextPage = RequestPage & { text: NonNullable<RequestPage['text']> };

/**
 * The text layers stacked top to bottom as one page of words (confidence 1: the producer wrote them), so
 * that the layout rules see a list of line items that continues over a page break as one list.
 */
function stackPages(pages: readonly TextPage[]): OcrPage {
  const lines: OcrLine[] = [];
  let top = 0;
  for (const { text } of pages) {
    for (const line of text.lines) {
      lines.push({ words: line.words.map((word) => ({ ...word, box: { ...word.box, y0: word.box.y0 + top, y1: word.box.y1 + top } })) });
    }
    top += text.height;
  }
  return { width: Math.max(...pages.map(({ text }) => text.width)), height: top, lines, confidence: 1, engine: 'PDF text layer' };
}

/**
 * A document with a text layer is read from it (exact and free) by the layout rules; pages without one
 * (scans) are left to the document reader's OCR.
 */
function answerFromText(profile: Profile, facts: ImageFacts, read: readonly TextPage[], pageCount: number): OfflineAnswer {
  const unread = pageCount - read.length;
  const scanned = unread === 0 ? [] : [`${unread} of ${pageCount} pages have no text layer and were not read offline`];
  if (profile.name === describeProfile.name) {
    const text = read.map((page) => page.text.text).join('\n\n');
    const data: DescribeData = { ...describeFromFacts(withText(facts, text)), text_found: text };
    return { data, warnings: scanned };
  }
  const extracted = extractFields(profile.name, stackPages(read));
  if (extracted !== undefined) return { data: extracted.data, evidence: extracted.evidence, warnings: [...extracted.warnings, ...scanned] };
  const { data, warnings, unfilled } = answer(profile, facts);
  return {
    data,
    ...(unfilled === undefined ? {} : { unfilled }),
    warnings: [
      ...warnings,
      `the text layer of ${read.length} pages was read but profile "${profile.name}" cannot be answered from text offline`,
    ],
  };
}

const MIN_TEXT_CONFIDENCE = 0.7;

/** Turns what OCR read into the profile's answer. */
function answerFromReading(profile: Profile, facts: ImageFacts, reading: DocumentReading): OfflineAnswer {
  const ocr = { text: reading.text, engine: reading.engine };
  if (profile.name === describeProfile.name) {
    // OCR finds "text" in the texture of photos; only a confident reading counts as text found.
    const found = reading.confidence >= MIN_TEXT_CONFIDENCE && reading.text.trim() !== '' ? reading.text : null;
    // Every word counts towards the kind (tick labels are often read with low confidence).
    return { data: { ...describeFromFacts(withText(facts, reading.text)), text_found: found }, warnings: [], ocr };
  }
  if (reading.data !== undefined) return { data: reading.data, evidence: reading.evidence, warnings: reading.warnings, ocr };
  const { data, unfilled } = answer(profile, facts);
  return { data, warnings: reading.warnings, ocr, ...(unfilled === undefined ? {} : { unfilled }) };
}

/** Scanned pages are read one by one and merged by the same rules as a model's per-page answers. */
async function answerFromScans(
  profile: Profile,
  facts: ImageFacts,
  count: number,
  open: (index: number) => Promise<RequestImage>,
  reader: DocumentReader,
  signal: AbortSignal | undefined,
): Promise<OfflineAnswer> {
  const readings: DocumentReading[] = [];
  const options = signal === undefined ? {} : { signal };
  // Each image is opened by the reading that needs it: the loop holds none while the next is opened (drawn).
  const readAt = async (index: number): Promise<DocumentReading> => reader.read(profile.name, ocrInput(await open(index)), options);
  for (let index = 0; index < count; index++) readings.push(await readAt(index));
  const [only] = readings;
  if (only !== undefined && readings.length === 1) return answerFromReading(profile, facts, only);
  if (readings.every((reading) => reading.data !== undefined)) {
    const merged = mergeAnswers(
      profile.name,
      readings.map((reading, index) => ({ pages: [index + 1], data: reading.data, evidence: reading.evidence })),
      new Map(),
    );
    return {
      data: merged.data,
      warnings: [...readings.flatMap((r) => r.warnings), ...merged.warnings],
      ocr: { text: readings.map((reading) => reading.text).join('\n\n'), engine: only?.engine ?? '' },
      ...(merged.evidence === undefined ? {} : { evidence: merged.evidence }),
    };
  }
  // Profiles not read in full: the text of every page, the empty answer and the readers' warnings.
  const { data, unfilled } = answer(profile, facts);
  const text = readings.map((reading) => reading.text).join('\n\n');
  const ocr = { text, engine: only?.engine ?? '' };
  if (profile.name === describeProfile.name) {
    const confident = readings.every((reading) => reading.confidence >= MIN_TEXT_CONFIDENCE);
    const found = confident && text.trim() !== '' ? text : null;
    return { data: { ...describeFromFacts(withText(facts, readings[0]?.text ?? null)), text_found: found }, warnings: [], ocr };
  }
  return {
    data,
    warnings: [...new Set(readings.flatMap((reading) => reading.warnings))],
    ocr,
    ...(unfilled === undefined ? {} : { unfilled }),
  };
}

/** The images of a request, opened one at a time in order: held by the request, or document pages drawn when read. */
interface Images {
  count: number;
  open(index: number): Promise<RequestImage>;
  /** For a document: one per image. */
  pages?: readonly RequestPage[];
}

function held({ images, pages }: AnalysisRequest): Images {
  const open = (index: number): Promise<RequestImage> => {
    const image = images[index];
    return image === undefined ? Promise.reject(new Error('an analysis request carries at least one image')) : Promise.resolve(image);
  };
  return { count: images.length, open, ...(pages === undefined ? {} : { pages }) };
}

function drawn({ pages }: PagesRequest): Images {
  const open = (index: number): Promise<RequestImage> =>
    pages[index]?.draw() ?? Promise.reject(new Error('a pages request carries at least one page'));
  return { count: pages.length, open, pages };
}

/** A comparison gets the facts of every image; any other profile answers for the first image and says so. */
async function answerAll(
  profile: Profile,
  images: Images,
  reader: DocumentReader,
  signal: AbortSignal | undefined,
): Promise<OfflineAnswer> {
  if (profile.name === compareProfile.name) {
    const named: { name: string; facts: ImageFacts }[] = [];
    for (let index = 0; index < images.count; index++) {
      const { name, image, source } = await images.open(index);
      named.push({ name, facts: await imageFacts(image, source) });
    }
    return {
      data: compareFromFacts(named),
      warnings: [`the offline provider cannot compare the content of images ${NEEDS_MODEL}; each image is described by its pixel facts`],
    };
  }
  let first: RequestImage | undefined = await images.open(0);
  const facts = await imageFacts(first.image, first.source);
  const { pages } = images;
  const read = (pages ?? []).filter((page): page is TextPage => page.hasText && page.text !== null);
  if (read.length > 0) return answerFromText(profile, facts, read, images.count);
  // The first image is read next, and then let go: a page drawn when it is read is gone before the next is drawn.
  const open = (index: number): Promise<RequestImage> => {
    const opened = index === 0 ? first : undefined;
    first = undefined;
    return opened === undefined ? images.open(index) : Promise.resolve(opened);
  };
  const answered = await answerFromScans(profile, facts, pages === undefined ? 1 : images.count, open, reader, signal);
  if (pages === undefined && images.count > 1) {
    answered.warnings.push(`the offline provider answered for the first of ${images.count} images only`);
  }
  return answered;
}

export interface OfflineProviderOptions {
  /** OCR workers kept at most (~250 MB each); they start with the first document and stop with close(). */
  ocrWorkers?: number;
  maxInputPixels?: number;
  /** Overrides the OCR preparation defaults (`npm run eval -- --steps` compares them). */
  steps?: Partial<PreparationSteps>;
}

export function createOfflineProvider(options: OfflineProviderOptions = {}): VisionProvider {
  const reader = createDocumentReader({
    ...(options.ocrWorkers === undefined ? {} : { poolSize: options.ocrWorkers }),
    ...(options.maxInputPixels === undefined ? {} : { maxInputPixels: options.maxInputPixels }),
    ...(options.steps === undefined ? {} : { steps: options.steps }),
  });
  const respond = ({ data, warnings, evidence, ocr, unfilled }: OfflineAnswer): AnalysisResponse => ({
    data,
    rawText: JSON.stringify(data),
    model: 'offline',
    usage: { promptTokens: null, completionTokens: null },
    warnings,
    ...(evidence === undefined ? {} : { evidence }),
    info: {
      engine: ENGINE,
      ...(ocr === undefined ? {} : { ocrEngine: ocr.engine, ocrText: ocr.text }),
      ...(unfilled === undefined ? {} : { unfilled }),
    },
  });
  return {
    name: 'offline',
    analyze: async (request) => respond(await answerAll(request.profile, held(request), reader, request.signal)),
    analyzePages: async (request) => respond(await answerAll(request.profile, drawn(request), reader, request.signal)),
    close: () => reader.close(),
  };
}
