/**
 * A prepared document through the real openai provider against the OpenAI-compatible test server: the
 * requests carry the page images in order, within MAX_IMAGES_PER_REQUEST, at the profile's detail; the
 * answers of a two-page invoice sent page by page merge into the ground truth, with per-request usage
 * and field -> page provenance. Then the merge's own validation and the blank-page warning, with a
 * small fake provider; and a scan through the offline provider, whose pages are drawn as they are read.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../../src/config.js';
import { prepareDocument, type DocumentOptions, type PreparedDocument } from '../../src/documents/prepareDocument.js';
import { WorkerError } from '../../src/errors.js';
import { askDocument } from '../../src/pipeline/askDocument.js';
import { resultRecordSchema } from '../../src/contracts/resultRecord.js';
import { describeProfile as typedDescribeProfile } from '../../src/profiles/describe.js';
import { invoiceProfile as typedInvoiceProfile, type InvoiceData } from '../../src/profiles/invoice.js';
import { strictJsonSchema } from '../../src/profiles/strictJsonSchema.js';
import type { Profile } from '../../src/profiles/types.js';
import { createOfflineProvider } from '../../src/providers/offlineProvider.js';
import { createOpenAiProvider } from '../../src/providers/openaiProvider.js';
import type { AnalysisRequest, Usage, VisionProvider } from '../../src/providers/types.js';
import { startOpenAiCompatibleServer, type OpenAiCompatibleServer, type RecordedRequest } from '../support/openaiCompatibleServer.js';
import { DOCUMENT_DEFAULTS, RENDER } from '../support/renderSettings.js';
import { MiB } from '../support/memory.js';
import { scannedPdf } from '../support/scannedPdf.js';

/** As the pipeline holds it (src/profiles/index.ts): any profile, its data unknown until validated. */
const invoiceProfile = typedInvoiceProfile as Profile;
const describeProfile = typedDescribeProfile as Profile;

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/documents/${name}`, import.meta.url));
const truth = JSON.parse(fixture('multipage-invoice.expected.json').toString('utf8')) as InvoiceData;
/** make-documents.ts puts the first 12 line items on page 1, the rest and the totals on page 2. */
const PAGE_ONE_ITEMS = 12;

type Part = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string; detail: string } };
interface ChatBody {
  messages: { role: string; content: string | Part[] }[];
}
const userParts = (request: RecordedRequest): Part[] => {
  const content = (request.body as ChatBody).messages.find((m) => m.role === 'user')?.content;
  return typeof content === 'string' ? [{ type: 'text', text: content }] : (content ?? []);
};
const images = (request: RecordedRequest): Part[] => userParts(request).filter((part) => part.type === 'image_url');
const instruction = (request: RecordedRequest): string => {
  const first = userParts(request)[0];
  return first?.type === 'text' ? first.text : '';
};

/** What a careful model answers for the pages a request carries. */
function answerFor(request: RecordedRequest): InvoiceData {
  const text = instruction(request);
  const onlyPage = /The image is page (\d) of a 2-page document/.exec(text)?.[1];
  if (onlyPage === '1') {
    return {
      ...truth,
      // Page 1 prints no totals; a model may still report the running sum as a subtotal ("carried forward").
      subtotal: Math.round(truth.line_items.slice(0, PAGE_ONE_ITEMS).reduce((sum, line) => sum + (line.total ?? 0), 0) * 100) / 100,
      tax: null,
      total: null,
      line_items: truth.line_items.slice(0, PAGE_ONE_ITEMS),
    };
  }
  if (onlyPage === '2') return { ...truth, date: null, line_items: truth.line_items.slice(PAGE_ONE_ITEMS) };
  return truth;
}

const LIMITS = { ...DOCUMENT_DEFAULTS, maxPages: 20, maxPagePixels: 20_000_000, maxImagesPerRequest: 10, tokenBudget: 100_000 };

function documentOptions(overrides: Partial<DocumentOptions> = {}): DocumentOptions {
  return {
    name: 'invoices/inv-2077.pdf',
    prepare: { model: 'gpt-4o', detail: 'high', format: 'png', maxInputPixels: 100_000_000, render: RENDER },
    limits: LIMITS,
    renderFor: 'model',
    profile: invoiceProfile,
    completionBudget: invoiceProfile.maxOutputTokens,
    grounding: false,
    budgeted: true,
    ...overrides,
  };
}

describe('askDocument with the openai provider', () => {
  let server: OpenAiCompatibleServer;
  let provider: VisionProvider;
  beforeAll(async () => {
    server = await startOpenAiCompatibleServer();
    server.setHandler((request) => ({ content: JSON.stringify(answerFor(request)) }));
    const config = loadConfig({
      AZURE_OPENAI_ENDPOINT: server.url,
      AZURE_OPENAI_API_KEY: 'test-key',
      AZURE_OPENAI_DEPLOYMENT: 'vision',
      MODEL_MAX_RETRIES: '0',
    });
    if (config.provider.kind !== 'azure-openai') throw new Error('expected the Azure OpenAI settings');
    provider = createOpenAiProvider(config.provider, config.model);
  });
  afterAll(async () => {
    await provider.close();
    await server.close();
  });

  async function run(document: PreparedDocument, grounding = false) {
    const before = server.requests.length;
    const spent: Usage = { promptTokens: null, completionTokens: null };
    const result = await askDocument(provider, invoiceProfile, document, spent, { grounding });
    return { ...result, spent, requests: server.requests.slice(before) };
  }

  it('sends a two-page invoice page by page when one image per request is allowed, and merges the answers', async () => {
    const document = await prepareDocument(
      fixture('multipage-invoice.pdf'),
      'pdf',
      documentOptions({ limits: { ...LIMITS, maxImagesPerRequest: 1 } }),
    );
    const { answer, document: info, spent, requests } = await run(document);

    expect(requests).toHaveLength(2);
    for (const [index, request] of requests.entries()) {
      const [image, ...more] = images(request);
      expect(more).toEqual([]);
      expect(image?.type === 'image_url' && image.image_url).toEqual({
        url: `data:image/png;base64,${(await document.draw(index + 1)).image.image.bytes.toString('base64')}`,
        detail: 'high',
      });
      expect(instruction(request)).toContain(`The image is page ${index + 1} of a 2-page document`);
    }

    // The line items of both pages form one list; the totals come from page 2, not page 1's running sum.
    expect(answer.data).toEqual(truth);
    expect(answer.warnings).toEqual([]);
    expect(info.fields).toMatchObject({
      vendor: [1],
      invoice_number: [1],
      date: [1],
      subtotal: [2],
      total: [2],
      line_items: [1, 2],
      'line_items[0]': [1],
      'line_items[11]': [1],
      'line_items[12]': [2],
      'line_items[19]': [2],
    });
    expect(info.requests.map(({ pages, imageTokensEstimated }) => [pages, imageTokensEstimated])).toEqual([
      [[1], 765],
      [[2], 765],
    ]);
    const reported = info.requests.map(({ promptTokens }) => promptTokens ?? 0);
    expect(reported.every((tokens) => tokens > 85)).toBe(true);
    expect(spent.promptTokens).toBe(reported[0]! + reported[1]!);
    expect(info.pages.map(({ page, request, textLayer, imageTokens }) => [page, request, textLayer, imageTokens])).toEqual([
      [1, 0, true, 765],
      [2, 1, true, 765],
    ]);
    // It is a valid part of a result record.
    expect(resultRecordSchema.shape.document.parse(info)).toEqual(info);
  });

  it('sends both pages in one request when they fit, labelled and in order, and names the pages each field is printed on', async () => {
    const document = await prepareDocument(fixture('multipage-invoice.pdf'), 'pdf', documentOptions());
    const { answer, document: info, requests } = await run(document);
    expect(requests).toHaveLength(1);
    const parts = userParts(requests[0]!);
    expect(parts.map((part) => (part.type === 'text' ? part.text.split('\n')[0] : `image ${part.image_url.detail}`))).toEqual([
      invoiceProfile.user,
      'Image 1: invoices/inv-2077.pdf#page=1',
      'image high',
      'Image 2: invoices/inv-2077.pdf#page=2',
      'image high',
    ]);
    expect(instruction(requests[0]!)).toContain('The images are the 2 pages of one document, in order.');
    expect(answer.data).toEqual(truth);
    // One request carried both pages; the text layer narrows each field to the page that prints it.
    expect(info.fields).toMatchObject({ vendor: [1, 2], date: [1], total: [2], 'line_items[0]': [1], 'line_items[19]': [2] });
  });

  it('sends the text layer with the pages when grounding is on', async () => {
    const document = await prepareDocument(fixture('multipage-invoice.pdf'), 'pdf', documentOptions({ grounding: true }));
    const { requests } = await run(document, true);
    const text = instruction(requests[0]!);
    expect(text).toContain('--- page 1 ---\nNorthwind Office Supply Co.  INVOICE');
    expect(text).toContain('--- page 2 ---');
    expect(text).toContain('Monitor stand, adjustable  1  39.99  39.99');
  });
});

/** Answers every request with `answer(request)`, counting tokens like a model that charges 100 + 10 per call. */
function fakeProvider(answer: (request: AnalysisRequest) => unknown): VisionProvider {
  return {
    name: 'openai',
    analyze: (request) =>
      Promise.resolve({
        data: answer(request),
        rawText: JSON.stringify(answer(request)),
        model: 'fake',
        usage: { promptTokens: 100, completionTokens: 10 },
        warnings: [],
      }),
    close: () => Promise.resolve(),
  };
}

describe('askDocument merge checks', () => {
  it('validates the merged answer again: parts that are each valid may not merge into a valid whole', async () => {
    const schema = z.strictObject({ tags: z.array(z.string()).max(2) });
    const profile: Profile = { ...invoiceProfile, name: 'tags', schema, jsonSchema: strictJsonSchema(schema), check: () => [] };
    const document = await prepareDocument(
      fixture('multipage-invoice.pdf'),
      'pdf',
      documentOptions({ profile, limits: { ...LIMITS, maxImagesPerRequest: 1 } }),
    );
    const spent: Usage = { promptTokens: null, completionTokens: null };
    const error = await askDocument(
      fakeProvider(() => ({ tags: ['a', 'b'] })),
      profile,
      document,
      spent,
      { grounding: false },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerError);
    expect((error as WorkerError).code).toBe('schema_validation_failed');
    expect((error as WorkerError).message).toContain('tags');
    // Both calls were made and paid for.
    expect(spent).toEqual({ promptTokens: 200, completionTokens: 20 });
  });

  it('warns about a page that came out blank', async () => {
    const bytes = fixture('invoice.pdf');
    const start = bytes.indexOf('stream\n') + 'stream\n'.length;
    bytes.fill(0xff, start, start + 2);
    const document = await prepareDocument(bytes, 'pdf', documentOptions());
    const { answer } = await askDocument(
      fakeProvider(() => ({ ...truth, line_items: [] })),
      invoiceProfile,
      document,
      { promptTokens: null, completionTokens: null },
      {
        grounding: false,
      },
    );
    expect(answer.warnings).toEqual([expect.stringMatching(/^page 1 is blank .* the PDF may be damaged/)]);
  });
});

/** A full collection on demand, so that what is still reachable can be counted. */
const collectGarbage = ((): (() => void) => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/** The document with its draws counted: the pages in the order drawn, and the most renderings reachable at once. */
function counting(document: PreparedDocument): {
  document: PreparedDocument;
  drawn: number[];
  renderedBytes: () => number;
  mostAlive: () => number;
} {
  const renderings: WeakRef<Buffer>[] = [];
  const drawn: number[] = [];
  let renderedBytes = 0;
  let mostAlive = 0;
  const draw = async (n: number) => {
    // After a macrotask and a full collection, only what the document or its reader still holds is left.
    await new Promise(setImmediate);
    collectGarbage();
    const alive = renderings.filter((rendering) => rendering.deref() !== undefined).length;
    const page = await document.draw(n);
    drawn.push(n);
    renderings.push(new WeakRef(page.image.source.bytes));
    renderedBytes += page.image.source.bytes.length;
    mostAlive = Math.max(mostAlive, alive + 1);
    return page;
  };
  return { document: { ...document, draw }, drawn, renderedBytes: () => renderedBytes, mostAlive: () => mostAlive };
}

describe('askDocument with the offline provider', () => {
  let provider: VisionProvider;
  beforeAll(() => {
    provider = createOfflineProvider();
  });
  afterAll(async () => {
    await provider.close();
  });

  async function readOffline(bytes: Buffer, profile: Profile) {
    const document = await prepareDocument(bytes, 'pdf', documentOptions({ renderFor: 'ocr', profile, budgeted: false }));
    const counted = counting(document);
    try {
      const { document: info } = await askDocument(
        provider,
        profile,
        counted.document,
        { promptTokens: null, completionTokens: null },
        { grounding: false },
      );
      return { ...counted, info };
    } finally {
      await document.close();
    }
  }

  it('draws each scanned page when it is read: one rendering alive at a time, whatever the page count', { timeout: 120_000 }, async () => {
    const { info, drawn, renderedBytes, mostAlive } = await readOffline(await scannedPdf(6, 150), describeProfile);
    console.log(`offline scan: 6 pages of ${(renderedBytes() / 6 / MiB).toFixed(1)} MiB renderings, at most ${mostAlive()} alive at once`);
    expect(info.pages.map(({ textLayer }) => textLayer)).toEqual(Array(6).fill(false));
    expect(drawn).toEqual([1, 2, 3, 4, 5, 6]);
    expect(mostAlive()).toBe(1);
  });

  it('draws the pages an answer from the text layer does not read after it, one at a time', async () => {
    const { info, drawn, mostAlive } = await readOffline(fixture('multipage-invoice.pdf'), invoiceProfile);
    expect(info.pages.map(({ textLayer }) => textLayer)).toEqual([true, true]);
    // Page 1 for the provider's pixel facts, page 2 afterwards, so that every page is still drawn once.
    expect(drawn).toEqual([1, 2]);
    expect(mostAlive()).toBe(1);
  });
});
