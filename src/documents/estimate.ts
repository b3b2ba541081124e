/**
 * What a document will cost, worked out before any model call, and the per-document budget that refuses
 * a document that would cost more (DOCUMENT_TOKEN_BUDGET). Image tokens are exact (the model's own
 * formula on the size each page is rendered at); text tokens are estimated from characters; completion
 * tokens are each request's whole budget (reasoning included), an upper bound. A repair request (at most one per
 * request, after an invalid answer) is not included: it is the exception, and budgeting for it would
 * halve the documents a budget admits.
 */
import type { ModelSettings } from '../config.js';
import { PermanentError } from '../errors.js';
import { SETTINGS } from '../names.js';
import { estimateCostUsd } from '../models/modelFamilies.js';
import type { Profile } from '../profiles/types.js';
import { documentProfile, type PromptPage } from './documentPrompt.js';

/**
 * Conservative: schemas, numbers and codes run ~3 characters a token (prose ~4); an overestimate refuses a
 * borderline document, an underestimate would let the bill pass the budget.
 */
export const CHARS_PER_TOKEN = 3;

export interface EstimatePage extends PromptPage {
  imageTokens: number;
}

export interface DocumentEstimate {
  /** The name that picked the image formula and the price. */
  model: string;
  requests: number;
  imageTokens: number;
  /** Instructions, schema, image labels and (when sent) the text layer. */
  textTokens: number;
  /** The completion budget of every request: what the output (and reasoning) can cost at most. */
  maxCompletionTokens: number;
  /** imageTokens + textTokens + maxCompletionTokens. */
  totalTokens: number;
  costUsd: number;
}

export interface EstimateOptions {
  profile: Profile;
  model: string;
  priceOverride?: ModelSettings['priceOverride'];
  /** Each request's completion budget (`completionBudget` in src/models/requestShape.ts). */
  completionBudget: number;
  /** Whether the text layer is sent with the pages. */
  grounding: boolean;
}

const textTokens = (text: string): number => Math.ceil(text.length / CHARS_PER_TOKEN);

/** `requests` holds the 1-based page numbers of each request; `pages` every page, in order. */
export function estimateDocument(
  pages: readonly EstimatePage[],
  requests: readonly number[][],
  options: EstimateOptions,
): DocumentEstimate {
  const { profile, model, grounding } = options;
  const byNumber = new Map(pages.map((page) => [page.page, page]));
  const schema = JSON.stringify(profile.jsonSchema);
  let imageTokens = 0;
  let text = 0;
  for (const numbers of requests) {
    const carried = numbers.map((n) => {
      const page = byNumber.get(n);
      if (page === undefined) throw new RangeError(`request names page ${n}, which the document does not have`);
      return page;
    });
    const asked = documentProfile(profile, carried, pages.length, grounding);
    // Each image is introduced by a short label ("Image 3: <blob>#page=3") when a request carries several.
    const labels = carried.length > 1 ? carried.length * 48 : 0;
    text += textTokens(asked.system) + textTokens(asked.user) + textTokens(schema) + Math.ceil(labels / CHARS_PER_TOKEN);
    imageTokens += carried.reduce((sum, page) => sum + page.imageTokens, 0);
  }
  const maxCompletionTokens = requests.length * options.completionBudget;
  return {
    model,
    requests: requests.length,
    imageTokens,
    textTokens: text,
    maxCompletionTokens,
    totalTokens: imageTokens + text + maxCompletionTokens,
    costUsd: estimateCostUsd(model, { promptTokens: imageTokens + text, completionTokens: maxCompletionTokens }, options.priceOverride),
  };
}

export function assertWithinBudget(estimate: DocumentEstimate, budget: number, pageCount: number): void {
  if (estimate.totalTokens <= budget) return;
  throw new PermanentError(
    'token_budget_exceeded',
    `expected a document estimated at most ${budget} tokens (${SETTINGS.documentTokenBudget}), received ${pageCount} pages ` +
      `estimated at ${estimate.totalTokens} tokens (${estimate.imageTokens} image, ${estimate.textTokens} text, up to ` +
      `${estimate.maxCompletionTokens} output in ${estimate.requests} request${estimate.requests === 1 ? '' : 's'}, ~$${estimate.costUsd.toFixed(4)} with ${estimate.model})`,
    { details: { budget, pages: pageCount, estimate } },
  );
}
