import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { PageText } from '../../src/media/pageText.js';
import { detectMediaType } from '../../src/media/detectMediaType.js';
import { prepareImage } from '../../src/media/prepareImage.js';
import { describeProfile, describeSchema } from '../../src/profiles/describe.js';
import { checkInvoice, invoiceProfile, invoiceSchema } from '../../src/profiles/invoice.js';
import { formProfile } from '../../src/profiles/form.js';
import type { Profile } from '../../src/profiles/types.js';
import { architectureProfile, architectureSchema } from '../../src/profiles/architecture.js';
import { chartProfile, chartSchema } from '../../src/profiles/chart.js';
import { askModel } from '../../src/pipeline/askModel.js';
import { resultRecordSchema } from '../../src/contracts/resultRecord.js';
import { createOfflineProvider, unfilledAnswer } from '../../src/providers/offlineProvider.js';
import type { RequestPage } from '../../src/providers/types.js';
import { RENDER } from '../support/renderSettings.js';

const provider = createOfflineProvider();
afterAll(() => provider.close());

async function analyze(name: string, profile: Profile) {
  const bytes = readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
  const { mime } = await detectMediaType(bytes);
  const { image, source } = await prepareImage(bytes, mime, {
    model: 'gpt-4o',
    detail: profile.detail,
    format: profile.prepare.format,
    maxInputPixels: 100_000_000,
    render: RENDER,
  });
  return provider.analyze({ profile, images: [{ name, image, source }] });
}

describe('offline provider: describe', () => {
  it('answers with facts that validate against describeSchema', async () => {
    const response = await analyze('photo.jpg', describeProfile as Profile);
    const data = describeSchema.parse(response.data);
    expect(data.image_type).toBe('photo');
    expect(data.summary).toContain('A portrait JPEG image of 320x480 pixels (turned upright from EXIF orientation 6)');
    expect(data.summary).toContain('It looks like a photo');
    expect(data.text_found).toBeNull();
    expect(data.objects).toEqual([]);
    expect(data.tags).toEqual(['photo', 'portrait', 'jpeg']);
    expect(data.dominant_colors.length).toBeGreaterThan(0);
    expect(data.dominant_colors.length).toBeLessThanOrEqual(5);
    for (const colour of data.dominant_colors) expect(colour).toMatch(/^#[0-9a-f]{6}$/);
    expect(response).toMatchObject({ model: 'offline', usage: { promptTokens: null, completionTokens: null }, warnings: [] });
    expect(response.rawText).toBe(JSON.stringify(response.data));
    expect(response.info?.engine).toMatch(/^sharp \d+\.\d+\.\d+/);
  });

  it.each([
    ['photo.jpg', 'photo'],
    ['photo.webp', 'photo'],
    ['invoice.png', 'document'],
    ['screenshot.png', 'screenshot'],
    ['screenshot-lossless.webp', 'screenshot'],
    ['chart.png', 'chart'],
  ])('classifies %s as a %s', async (name, kind) => {
    const data = describeSchema.parse((await analyze(name, describeProfile as Profile)).data);
    expect(data.image_type).toBe(kind);
  });

  it('puts the most common colour first: white for the invoice', async () => {
    const data = describeSchema.parse((await analyze('invoice.png', describeProfile as Profile)).data);
    const [first = ''] = data.dominant_colors;
    expect(Number.parseInt(first.slice(1, 3), 16)).toBeGreaterThan(240);
    expect(Number.parseInt(first.slice(5, 7), 16)).toBeGreaterThan(240);
  });
});

describe('offline provider: other profiles', () => {
  it('reads an invoice with OCR: the ground truth fields, evidence and the engine', async () => {
    const response = await analyze('invoice.png', invoiceProfile as Profile);
    const data = invoiceSchema.parse(response.data);
    const expected = invoiceSchema.parse(JSON.parse(readFileSync(new URL('../fixtures/invoice.expected.json', import.meta.url), 'utf8')));
    expect(data).toMatchObject({
      invoice_number: expected.invoice_number,
      date: expected.date,
      total: expected.total,
      currency: expected.currency,
    });
    expect(response.evidence?.['invoice_number']?.text).toContain('INV-1042');
    expect(response.info?.['ocrEngine']).toMatch(/^tesseract\.js/);
    expect(response.rawText).toBe(JSON.stringify(data));
  });

  it('answers a profile it cannot read in full with the empty shape, the OCR text, and says why', async () => {
    const response = await analyze('invoice.png', formProfile as Profile);
    expect(response.warnings.join('\n')).toContain('cannot answer the "form" profile in full');
    expect(response.info?.['ocrText']).toContain('INV-1042');
  });

  it("the invoice fixture's ground truth is valid and self-consistent", () => {
    const expected = invoiceSchema.parse(JSON.parse(readFileSync(new URL('../fixtures/invoice.expected.json', import.meta.url), 'utf8')));
    expect(expected.invoice_number).toBe('INV-1042');
    expect(checkInvoice(expected)).toEqual([]);
  });
});

describe('offline provider: profiles it cannot read', () => {
  it('answers chart with nulls, not the first chart type, validates as the pipeline validates, and says so in provider.info', async () => {
    const bytes = readFileSync(new URL('../fixtures/chart.png', import.meta.url));
    const { image, source } = await prepareImage(bytes, 'image/png', {
      model: 'gpt-4o',
      detail: chartProfile.detail,
      format: chartProfile.prepare.format,
      maxInputPixels: 100_000_000,
      render: RENDER,
    });
    const spent = { promptTokens: null, completionTokens: null };
    const validated = await askModel(provider, { profile: chartProfile as Profile, images: [{ name: 'chart.png', image, source }] }, spent);
    expect(chartSchema.parse(validated.data)).toEqual({
      chart_type: null,
      title: null,
      x_axis: null,
      y_axis: null,
      series: [],
      trends: [],
      anomalies: [],
    });
    const { info } = validated.response;
    expect(info?.['unfilled']).toBe(
      'the offline provider cannot read profile "chart" without a model endpoint (set AZURE_OPENAI_ENDPOINT or OPENAI_API_KEY); ' +
        'no field was read; null: chart_type, title, x_axis, y_axis; lists are empty',
    );
    // No repair was needed: the first answer validated.
    expect(validated.warnings.join('\n')).not.toContain('repair');
    const record = { provider: { name: 'offline', model: 'offline', ...(info === undefined ? {} : { info }) } };
    expect(resultRecordSchema.shape.provider.parse(record.provider)).toEqual(record.provider);
  });

  it('answers architecture with a null summary and empty lists', async () => {
    const response = await analyze('screenshot.png', architectureProfile as Profile);
    expect(architectureSchema.parse(response.data)).toEqual({
      summary: null,
      components: [],
      data_flows: [],
      single_points_of_failure: [],
      scalability: [],
      security_concerns: [],
    });
    expect(response.info?.['unfilled']).toContain('null: summary');
  });

  it('keeps the strict structured-output schema: chart_type required, null allowed', () => {
    const schema = chartProfile.jsonSchema as { required: string[]; properties: Record<string, { anyOf?: unknown[] }> };
    expect(schema.required).toContain('chart_type');
    expect(schema.properties['chart_type']?.anyOf).toContainEqual({ type: 'null' });
  });
});

describe('unfilledAnswer', () => {
  it('null where allowed, [] for arrays, nested objects; a field that may not be null holds a placeholder and is named', () => {
    const schema = {
      type: 'object',
      properties: {
        note: { type: ['string', 'null'] },
        either: { anyOf: [{ type: 'number' }, { type: 'null' }] },
        kind: { anyOf: [{ type: 'string', enum: ['a', 'b'] }, { type: 'null' }] },
        strictKind: { type: 'string', enum: ['a', 'b'] },
        fixed: { const: 'v1' },
        name: { type: 'string' },
        count: { type: 'integer' },
        flag: { type: 'boolean' },
        list: { type: 'array', items: { type: 'string' } },
        nested: { type: 'object', properties: { inner: { type: ['string', 'null'] } } },
        union: { anyOf: [{ type: 'string' }, { type: 'number' }] },
      },
    };
    expect(unfilledAnswer(schema)).toEqual({
      data: {
        note: null,
        either: null,
        kind: null,
        strictKind: 'a',
        fixed: 'v1',
        name: '',
        count: 0,
        flag: false,
        list: [],
        nested: { inner: null },
        union: '',
      },
      nulls: ['note', 'either', 'kind', 'nested.inner'],
      placeholders: ['strictKind', 'fixed', 'name', 'count', 'flag', 'union'],
    });
  });
});

describe('offline provider: document pages with a text layer', () => {
  const words = ['Invoice', 'INV-3001', 'Total', '$12.50'];
  const text: PageText = {
    width: 320,
    height: 480,
    lines: [{ words: words.map((word, i) => ({ text: word, confidence: 1, box: { x0: 10 + 60 * i, y0: 10, x1: 60 + 60 * i, y1: 22 } })) }],
    text: words.join(' '),
    chars: words.join('').length,
  };

  async function analyzePages(profile: Profile, pages: RequestPage[]) {
    const bytes = readFileSync(new URL('../fixtures/photo.jpg', import.meta.url));
    const { image, source } = await prepareImage(bytes, 'image/jpeg', {
      model: 'gpt-4o',
      detail: 'low',
      format: 'jpeg',
      maxInputPixels: 100_000_000,
      render: RENDER,
    });
    return provider.analyze({ profile, images: pages.map(({ page }) => ({ name: `doc.pdf#page=${page}`, image, source })), pages });
  }

  it('gives describe the text layer as text_found and names the pages it could not read', async () => {
    const response = await analyzePages(describeProfile as Profile, [
      { page: 1, text, hasText: true },
      { page: 2, text: null, hasText: false },
    ]);
    expect(describeSchema.parse(response.data).text_found).toBe('Invoice INV-3001 Total $12.50');
    expect(response.warnings).toEqual(['1 of 2 pages have no text layer and were not read offline']);
  });

  it('reads pages without a text layer with OCR', async () => {
    const response = await analyzePages(describeProfile as Profile, [{ page: 1, text, hasText: false }]);
    expect(response.info?.['ocrEngine']).toMatch(/^tesseract\.js/);
    expect(describeSchema.parse(response.data).summary).toContain('Described offline');
  });
});
