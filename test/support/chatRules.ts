/**
 * What the test servers know of the service side of a chat completion: the request rules today's models
 * enforce (written from the providers' error messages, independently of the worker's own table), how a
 * prompt is billed, and how many tokens a reasoning model thinks for.
 */
import sharp, { type Metadata } from 'sharp';
import { imageTokens } from '../../src/media/imageTokens.js';
import type { Detail } from '../../src/profiles/types.js';
import { exampleFor } from './openaiCompatibleServer.js';

export interface ContentPart {
  type?: string;
  text?: string;
  image_url?: { url?: string; detail?: string };
}

export interface ChatBody {
  model?: string;
  messages?: { content?: string | ContentPart[] | null }[];
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  reasoning_effort?: string;
  response_format?: { type?: string; json_schema?: { schema?: unknown } };
}

export interface RuleViolation {
  status: 400;
  body: { error: { message: string; type: string; param: string; code: string } };
}

const violation = (message: string, param: string, code: string): RuleViolation => ({
  status: 400,
  body: { error: { message, type: 'invalid_request_error', param, code } },
});

/** The efforts each reasoning family takes; a model that matches none is a chat model (gpt-4o, gpt-4.1). */
const REASONING: readonly { pattern: RegExp; efforts: readonly string[] }[] = [
  { pattern: /^gpt-5\.1/, efforts: ['none', 'low', 'medium', 'high'] },
  { pattern: /^gpt-5\.\d/, efforts: ['none', 'low', 'medium', 'high', 'xhigh'] },
  { pattern: /^gpt-5/, efforts: ['minimal', 'low', 'medium', 'high'] },
  { pattern: /^o\d/, efforts: ['low', 'medium', 'high'] },
];

export function reasoningEfforts(model: string): readonly string[] | undefined {
  return REASONING.find(({ pattern }) => pattern.test(model.toLowerCase()))?.efforts;
}

/** Azure's and OpenAI's 400s for what a model does not take, exactly as they word them. */
export function ruleViolation(model: string, body: ChatBody): RuleViolation | undefined {
  const efforts = reasoningEfforts(model);
  if (efforts === undefined) {
    if (body.reasoning_effort !== undefined) {
      return violation('Unrecognized request argument supplied: reasoning_effort', 'reasoning_effort', 'unsupported_parameter');
    }
    return undefined;
  }
  if (body.max_tokens !== undefined) {
    return violation(
      "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
      'max_tokens',
      'unsupported_parameter',
    );
  }
  for (const param of ['temperature', 'top_p'] as const) {
    const value = body[param];
    if (value !== undefined && value !== 1) {
      return violation(
        `Unsupported value: '${param}' does not support ${value} with this model. Only the default (1) value is supported.`,
        param,
        'unsupported_value',
      );
    }
  }
  if (body.reasoning_effort !== undefined && !efforts.includes(body.reasoning_effort)) {
    return violation(
      `Unsupported value: '${body.reasoning_effort}' is not supported with the '${model}' model. Supported values are: ${efforts.map((e) => `'${e}'`).join(', ')}.`,
      'reasoning_effort',
      'unsupported_value',
    );
  }
  return undefined;
}

/** Tokens a reasoning model thinks for at each effort before it answers an extraction prompt. */
const THINKING: Record<string, number> = { none: 0, minimal: 24, low: 180, medium: 900, high: 2600, xhigh: 6000 };

/** Reasoning tokens of one answer: none for a chat model, the model's default (medium) when no effort is sent. */
export function reasoningTokensFor(model: string, body: ChatBody): number {
  if (reasoningEfforts(model) === undefined) return 0;
  return THINKING[body.reasoning_effort ?? 'medium'] ?? 0;
}

export class BadRequest extends Error {}

const DATA_URL = /^data:image\/[a-z0-9.+-]+;base64,/i;

/** An inline image's tokens by the model family's published formula, times `factor` (what a family's billing departs by). */
async function imageTokensOf(part: ContentPart, model: string, factor: number): Promise<number> {
  const url = part.image_url?.url ?? '';
  const header = DATA_URL.exec(url);
  // Only inline images: these servers fetch nothing.
  if (header === null) throw new BadRequest('expected image_url.url to be a base64 data URL');
  const bytes = Buffer.from(url.slice(header[0].length), 'base64');
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new BadRequest(`the image could not be decoded: ${(error as Error).message}`);
  }
  const detail = (['low', 'high', 'auto'].includes(part.image_url?.detail ?? '') ? part.image_url?.detail : 'auto') as Detail;
  return Math.round(imageTokens(model, detail, meta.width, meta.height) * factor);
}

export const CHARS_PER_TOKEN = 4;

export interface Measured {
  promptTokens: number;
  imageTokens: number;
  /** The completion budget the request set, undefined when it set none. */
  maxTokens: number | undefined;
  /** A schema-valid answer for the requested json_schema, or a short text. */
  answer: string;
}

/** The prompt as the service bills it (text ~4 characters a token, the schema included) and the answer it will give. */
export async function measure(body: ChatBody, model: string, imageFactor = 1): Promise<Measured> {
  let chars = 0;
  let images = 0;
  for (const message of body.messages ?? []) {
    const content = message.content;
    if (typeof content === 'string') {
      chars += content.length;
      continue;
    }
    for (const part of content ?? []) {
      if (part.type === 'image_url') images += await imageTokensOf(part, model, imageFactor);
      else if (typeof part.text === 'string') chars += part.text.length;
    }
  }
  const schema = body.response_format?.json_schema?.schema;
  if (schema !== undefined) chars += JSON.stringify(schema).length;
  return {
    promptTokens: Math.ceil(chars / CHARS_PER_TOKEN) + images,
    imageTokens: images,
    maxTokens: body.max_completion_tokens ?? body.max_tokens,
    answer: schema === undefined ? 'example' : JSON.stringify(exampleFor(schema)),
  };
}
