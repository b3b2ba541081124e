/**
 * The provider that needs no network: it answers from what the pixels themselves show. For `describe`
 * that is a real, if plain, description; for profiles that need reading (invoices), it returns the
 * schema's empty shape and says so, so the rest of the pipeline runs end to end without a model.
 */
import sharp from 'sharp';
import { SETTINGS } from '../names.js';
import { compareProfile } from '../profiles/compare.js';
import { describeProfile, type DescribeData } from '../profiles/describe.js';
import type { Profile } from '../profiles/types.js';
import { compareFromFacts } from './offline/compareFacts.js';
import { extractFields } from './offline/documentReader.js';
import { imageFacts, type ImageFacts } from './offline/imageFacts.js';
import type { OcrLine, OcrPage } from './offline/ocrPage.js';
import type { AnalysisRequest, AnalysisResponse, FieldEvidence, RequestPage, VisionProvider } from './types.js';

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

/**
 * The emptiest value a JSON Schema accepts: null where allowed, [] for arrays, the first enum value,
 * '' / 0 / false for required scalars, and objects built field by field.
 */
export function emptyValue(schema: JsonSchema): unknown {
  const types: unknown[] = Array.isArray(schema.type) ? schema.type : [schema.type];
  const branches = Array.isArray(schema.anyOf) ? schema.anyOf.filter(isSchema) : [];
  if (types.includes('null') || branches.some((branch) => branch.type === 'null')) return null;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if ('const' in schema) return schema.const;
  const [firstBranch] = branches;
  if (firstBranch !== undefined) return emptyValue(firstBranch);
  switch (types[0]) {
    case 'array':
      return [];
    case 'object': {
      const properties = isSchema(schema.properties) ? schema.properties : {};
      return Object.fromEntries(
        Object.entries(properties).map(([key, property]) => [key, isSchema(property) ? emptyValue(property) : null]),
      );
    }
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
}

const NEEDS_MODEL = `without a model endpoint (set ${SETTINGS.azureOpenAiEndpoint} or ${SETTINGS.openAiApiKey})`;

function answer(profile: Profile, facts: ImageFacts): { data: unknown; warnings: string[] } {
  if (profile.name === describeProfile.name) return { data: describeFromFacts(facts), warnings: [] };
  return {
    data: emptyValue(profile.jsonSchema),
    warnings: [`the offline provider cannot read the fields of profile "${profile.name}" ${NEEDS_MODEL}; every field is empty`],
  };
}

interface OfflineAnswer {
  data: unknown;
  warnings: string[];
  evidence?: Record<string, FieldEvidence>;
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
 * A document whose pages carry a text layer is read from it: exact and free. Invoices and receipts get
 * their fields by the OCR layout rules; `describe` gets the text; other profiles the generic answer.
 * Pages without a text layer (scans) are not read here: OCR of document pages is the document reader's.
 */
function answerFromText(profile: Profile, facts: ImageFacts, read: readonly TextPage[], pageCount: number): OfflineAnswer {
  const unread = pageCount - read.length;
  const scanned = unread === 0 ? [] : [`${unread} of ${pageCount} pages have no text layer and were not read offline`];
  if (profile.name === describeProfile.name) {
    const data: DescribeData = { ...describeFromFacts(facts), text_found: read.map(({ text }) => text.text).join('\n\n') };
    return { data, warnings: scanned };
  }
  const extracted = extractFields(profile.name, stackPages(read));
  if (extracted !== undefined) return { data: extracted.data, evidence: extracted.evidence, warnings: [...extracted.warnings, ...scanned] };
  const { data, warnings } = answer(profile, facts);
  return {
    data,
    warnings: [
      ...warnings,
      `the text layer of ${read.length} pages was read but profile "${profile.name}" cannot be answered from text offline`,
    ],
  };
}

/** A comparison gets the facts of every image; any other profile answers for the first image and says so. */
async function answerAll({ profile, images, pages }: AnalysisRequest): Promise<OfflineAnswer> {
  if (profile.name === compareProfile.name) {
    const named = await Promise.all(images.map(async ({ name, image, source }) => ({ name, facts: await imageFacts(image, source) })));
    return {
      data: compareFromFacts(named),
      warnings: [`the offline provider cannot compare the content of images ${NEEDS_MODEL}; each image is described by its pixel facts`],
    };
  }
  const [first] = images;
  if (first === undefined) throw new Error('an analysis request carries at least one image');
  const facts = await imageFacts(first.image, first.source);
  const read = (pages ?? []).filter((page): page is TextPage => page.hasText && page.text !== null);
  if (read.length > 0) return answerFromText(profile, facts, read, images.length);
  const { data, warnings } = answer(profile, facts);
  return {
    data,
    warnings: images.length > 1 ? [...warnings, `the offline provider answered for the first of ${images.length} images only`] : warnings,
  };
}

export function createOfflineProvider(): VisionProvider {
  return {
    name: 'offline',
    async analyze(request): Promise<AnalysisResponse> {
      const { data, warnings, evidence } = await answerAll(request);
      return {
        data,
        rawText: JSON.stringify(data),
        model: 'offline',
        usage: { promptTokens: null, completionTokens: null },
        warnings,
        ...(evidence === undefined ? {} : { evidence }),
        info: { engine: ENGINE },
      };
    },
    close: async () => undefined,
  };
}
