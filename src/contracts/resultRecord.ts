/**
 * The one documented shape of what lands in the results container: a result or a failure record, at
 * `<results>/<blob path>.json`. `schemas/result.schema.json` is generated from this schema.
 */
import { z } from 'zod';

export const RESULT_SCHEMA_VERSION = 1;

const nullableInt = z.number().int().min(0).nullable();

export const sourceSchema = z.object({
  container: z.string(),
  blob: z.string(),
  etag: z.string().describe('The ETag of the content that was analysed'),
  size: nullableInt.describe('Bytes'),
  sha256: z.string().nullable(),
  mime: z.string().nullable().describe('Detected from the bytes, never from the name'),
  width: nullableInt.describe('Pixels, after EXIF orientation'),
  height: nullableInt,
  lastModified: z.string().nullable().describe('When the analysed content was written (ISO 8601)'),
});

export const usageSchema = z.object({
  imageTokensEstimated: nullableInt.describe('Computed before the call from the prepared image size and the detail level'),
  // The three added fields are optional so that records written before them still satisfy schemaVersion 1.
  promptTokensEstimated: nullableInt
    .optional()
    .describe('The prompt (text and images) as estimated before the calls, beside the billed promptTokens'),
  promptTokens: nullableInt.describe('As reported (billed) by the model service'),
  cachedPromptTokens: nullableInt.optional().describe('The part of promptTokens served from the prompt cache, at the cached price'),
  completionTokens: nullableInt.describe('Reasoning tokens included'),
  reasoningTokens: nullableInt.optional().describe('The part of completionTokens the model spent thinking (reasoning models)'),
  estimatedCostUsd: z.number().min(0).nullable(),
});

export const timingsSchema = z.object({
  downloadMs: z.number().min(0).nullable(),
  prepareMs: z.number().min(0).nullable(),
  modelMs: z.number().min(0).nullable(),
  totalMs: z.number().min(0),
});

export const errorSchema = z.object({
  code: z.string(),
  message: z.string(),
  retryable: z.boolean().describe('Whether a retry could have helped (true for records written after the retries ran out)'),
  details: z.record(z.string(), z.unknown()).optional(),
});

export const evidenceSchema = z.record(
  z.string(),
  z.object({
    confidence: z.number().min(0).max(1),
    text: z.string(),
    page: z.number().int().min(1).optional(),
    rejected: z
      .object({ value: z.unknown().describe('The value as answered'), reason: z.string().describe('The format check it failed') })
      .optional()
      .describe('Present when the value failed a format check also after the repair request and `data` holds null instead'),
  }),
);

const pageNumbers = z.array(z.number().int().min(1));

export const documentEstimateSchema = z.object({
  model: z.string().describe('The name that picked the image-token formula and the price'),
  requests: z.number().int().min(1),
  imageTokens: z.number().int().min(0),
  textTokens: z.number().int().min(0).describe('Instructions, schema and text layer, estimated from characters'),
  maxCompletionTokens: z
    .number()
    .int()
    .min(0)
    .describe("The completion budget of every request (the profile's output plus, for reasoning models, the reasoning allowance)"),
  totalTokens: z.number().int().min(0).describe('What DOCUMENT_TOKEN_BUDGET is compared with'),
  costUsd: z.number().min(0),
});

export const documentSchema = z.object({
  kind: z.enum(['pdf', 'tiff']),
  pageCount: z.number().int().min(1),
  pages: z
    .array(
      z.object({
        page: z.number().int().min(1),
        width: z.number().int().min(1).describe('Pixels of the image sent'),
        height: z.number().int().min(1),
        imageTokens: z.number().int().min(0).describe('Computed before the call from the size sent and the detail level'),
        textLayer: z.boolean().describe('Whether the page has its own text layer'),
        request: z.number().int().min(0).describe('Index in `requests` of the request that carried the page'),
      }),
    )
    .describe('Every page, in order'),
  requests: z
    .array(
      z.object({
        pages: pageNumbers,
        imageTokensEstimated: z.number().int().min(0),
        promptTokensEstimated: nullableInt.optional(),
        promptTokens: nullableInt.describe('As reported by the model for this request, its repair included'),
        cachedPromptTokens: nullableInt.optional(),
        completionTokens: nullableInt,
        reasoningTokens: nullableInt.optional(),
      }),
    )
    .describe('The model requests, in order: one when the pages fit MAX_IMAGES_PER_REQUEST, else several whose answers were merged'),
  fields: z
    .record(z.string(), pageNumbers)
    .optional()
    .describe('Field path (`total`, `line_items[2]`) -> the pages it came from (succeeded only)'),
  estimate: documentEstimateSchema.describe('Worked out before any model call'),
});

export const resultRecordSchema = z.object({
  schemaVersion: z.literal(RESULT_SCHEMA_VERSION),
  status: z.enum(['succeeded', 'failed']),
  source: sourceSchema.describe('The uploaded blob: an image, or a comparison manifest'),
  sources: z
    .array(sourceSchema)
    .optional()
    .describe('The images a comparison manifest named, in the order they were sent, each with the ETag that was analysed'),
  profile: z.string().nullable(),
  provider: z.object({
    name: z.enum(['openai', 'offline']).nullable(),
    model: z.string().nullable().describe('Model or deployment that answered'),
    info: z.record(z.string(), z.string()).optional(),
  }),
  detail: z.enum(['low', 'high']).nullable(),
  usage: usageSchema,
  timings: timingsSchema,
  attempt: z.number().int().min(1).describe('Dequeue count of the message that produced this record'),
  cached: z
    .literal(true)
    .optional()
    .describe(
      'Present when the analysis of identical bytes with the same profile and model was reused without a model call (succeeded only)',
    ),
  data: z.unknown().optional().describe("The profile's validated output (succeeded only)"),
  evidence: evidenceSchema.optional(),
  document: documentSchema
    .optional()
    .describe('For a PDF or multi-page TIFF: its pages, the requests that carried them and where each field came from'),
  error: errorSchema.optional().describe('Why the job failed (failed only)'),
  warnings: z.array(z.string()),
  createdAt: z.string(),
});

export type ResultRecord = z.infer<typeof resultRecordSchema>;
export type SourceInfo = z.infer<typeof sourceSchema>;
export type UsageInfo = z.infer<typeof usageSchema>;
export type Timings = z.infer<typeof timingsSchema>;
export type DocumentInfo = z.infer<typeof documentSchema>;

export function resultJsonSchema(): Record<string, unknown> {
  return {
    title: 'blob-vision-worker result record',
    ...(z.toJSONSchema(resultRecordSchema, { io: 'output' }) as Record<string, unknown>),
  };
}

/** A source known only by what names it; the job fills in the rest as it learns it. */
export function namedSource(container: string, blob: string, etag: string, size: number | null): SourceInfo {
  return { container, blob, etag, size, sha256: null, mime: null, width: null, height: null, lastModified: null };
}

export const EMPTY_USAGE: UsageInfo = {
  imageTokensEstimated: null,
  promptTokensEstimated: null,
  promptTokens: null,
  cachedPromptTokens: null,
  completionTokens: null,
  reasoningTokens: null,
  estimatedCostUsd: null,
};
