import { describe, expect, it } from 'vitest';
import { MAX_GROUNDING_CHARS_PER_PAGE, documentProfile, groundingText, pagesInstruction } from '../../src/documents/documentPrompt.js';
import { assertWithinBudget, estimateDocument } from '../../src/documents/estimate.js';
import { completionBudget, planRequest, type RequestSettings } from '../../src/models/requestShape.js';
import { pageText } from '../../src/media/pageText.js';
import { WorkerError } from '../../src/errors.js';
import { invoiceProfile as typedInvoiceProfile } from '../../src/profiles/invoice.js';
import type { Profile } from '../../src/profiles/types.js';

/** As the pipeline holds it (src/profiles/index.ts): any profile, its data unknown until validated. */
const invoiceProfile = typedInvoiceProfile as Profile;

const text = (str: string) =>
  pageText([{ str, transform: [10, 0, 0, 10, 50, 700], width: str.length * 5 }], [1, 0, 0, -1, 0, 792], 612, 792);
const TEXT = text('Invoice INV-2077 from Northwind, total 1,234.50');

describe('pagesInstruction', () => {
  it('says whether the request carries the whole document or a part of it', () => {
    expect(pagesInstruction([1], 1)).toBe('The image is the only page of a document.');
    expect(pagesInstruction([1, 2, 3], 3)).toBe(
      'The images are the 3 pages of one document, in order. Answer for the document as a whole.',
    );
    expect(pagesInstruction([4, 5], 12)).toMatch(/^The images are pages 4-5 of a 12-page document; the other pages are sent separately/);
    expect(pagesInstruction([12], 12)).toMatch(/^The image is page 12 of a 12-page document;/);
  });
});

describe('groundingText', () => {
  it('gives the text of pages that have a text layer, leaving scans out', () => {
    const grounding = groundingText([
      { page: 1, text: TEXT },
      { page: 2, text: text('7') },
      { page: 3, text: null },
    ]);
    expect(grounding).toMatch(/^The document's own text layer for these pages follows\. It is exact/);
    expect(grounding).toContain('--- page 1 ---\nInvoice INV-2077 from Northwind, total 1,234.50');
    expect(grounding).not.toContain('--- page 2 ---');
    expect(grounding).not.toContain('--- page 3 ---');
  });

  it('is undefined when no page has a text layer', () => {
    expect(groundingText([{ page: 1, text: null }])).toBeUndefined();
  });

  it('cuts a page longer than MAX_GROUNDING_CHARS_PER_PAGE and says so', () => {
    const long = text('x'.repeat(MAX_GROUNDING_CHARS_PER_PAGE + 100));
    const grounding = groundingText([{ page: 4, text: long }]) ?? '';
    expect(grounding).toContain(`${'x'.repeat(MAX_GROUNDING_CHARS_PER_PAGE)}\n[... text of page 4 cut]`);
    expect(grounding).not.toContain('x'.repeat(MAX_GROUNDING_CHARS_PER_PAGE + 1));
  });
});

describe('documentProfile', () => {
  it("adds the instruction and, with grounding, the text to the profile's user prompt, and changes nothing else", () => {
    const pages = [{ page: 1, text: TEXT }];
    const plain = documentProfile(invoiceProfile, pages, 1, false);
    const grounded = documentProfile(invoiceProfile, pages, 1, true);
    expect(plain.user).toBe(`${invoiceProfile.user}\n\nThe image is the only page of a document.`);
    expect(grounded.user.startsWith(plain.user)).toBe(true);
    expect(grounded.user).toContain('--- page 1 ---');
    expect({ ...grounded, user: invoiceProfile.user }).toEqual(invoiceProfile);
  });
});

const REQUEST_SETTINGS: RequestSettings = { shape: 'auto', unknownModelShape: 'reasoning', reasoningEffort: 'low' };

describe('estimateDocument and the budget', () => {
  const pages = [1, 2, 3].map((page) => ({ page, text: TEXT, imageTokens: 765 }));

  it('adds image tokens, prompt text per request and the maximum output per request', () => {
    const one = estimateDocument(pages, [[1, 2, 3]], {
      profile: invoiceProfile,
      model: 'gpt-4o',
      completionBudget: invoiceProfile.maxOutputTokens,
      grounding: false,
    });
    const three = estimateDocument(pages, [[1], [2], [3]], {
      profile: invoiceProfile,
      model: 'gpt-4o',
      completionBudget: invoiceProfile.maxOutputTokens,
      grounding: false,
    });
    expect(one).toMatchObject({ requests: 1, imageTokens: 2295, maxCompletionTokens: 1500 });
    expect(three).toMatchObject({ requests: 3, imageTokens: 2295, maxCompletionTokens: 4500 });
    // The instructions and the schema go with every request.
    const schemaTokens = Math.ceil(JSON.stringify(invoiceProfile.jsonSchema).length / 3);
    expect(three.textTokens - one.textTokens).toBeGreaterThan(2 * schemaTokens);
  });

  it('counts the whole completion budget of every request, reasoning allowance included', () => {
    const budget = completionBudget(planRequest('gpt-5.1', REQUEST_SETTINGS), invoiceProfile.maxOutputTokens);
    expect(budget).toBeGreaterThan(invoiceProfile.maxOutputTokens);
    const three = estimateDocument(pages, [[1], [2], [3]], {
      profile: invoiceProfile,
      model: 'gpt-5.1',
      completionBudget: budget,
      grounding: false,
    });
    expect(three.maxCompletionTokens).toBe(3 * budget);
    expect(three.totalTokens).toBe(three.imageTokens + three.textTokens + 3 * budget);
  });

  it('prices with the override when one is configured', () => {
    const estimate = estimateDocument(pages, [[1, 2, 3]], {
      profile: invoiceProfile,
      model: 'gpt-4o',
      completionBudget: invoiceProfile.maxOutputTokens,
      grounding: false,
      priceOverride: { inputPerMTok: 1, outputPerMTok: 0 },
    });
    expect(estimate.costUsd).toBeCloseTo((estimate.imageTokens + estimate.textTokens) / 1e6, 12);
  });

  it('refuses over the budget, naming the setting and the figures, and accepts at the budget', () => {
    const estimate = estimateDocument(pages, [[1, 2, 3]], {
      profile: invoiceProfile,
      model: 'gpt-4o',
      completionBudget: invoiceProfile.maxOutputTokens,
      grounding: false,
    });
    expect(() => assertWithinBudget(estimate, estimate.totalTokens, 3)).not.toThrow();
    let error: unknown;
    try {
      assertWithinBudget(estimate, estimate.totalTokens - 1, 3);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(WorkerError);
    const refusal = error as WorkerError;
    expect(refusal.code).toBe('token_budget_exceeded');
    expect(refusal.message).toContain(
      `at most ${estimate.totalTokens - 1} tokens (DOCUMENT_TOKEN_BUDGET), received 3 pages estimated at ${estimate.totalTokens} tokens`,
    );
    expect(refusal.details).toEqual({ budget: estimate.totalTokens - 1, pages: 3, estimate });
  });
});
