/**
 * The worker end to end against a server that enforces today's model rules (gpt-5.x on Azure's v1 API):
 * the request shape, the v1 and dated paths, the completion budget that reasoning can use up, and the
 * billed prompt tokens set beside the estimate.
 */
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { imageTokens } from '../../src/media/imageTokens.js';
import { invoiceSchema } from '../../src/profiles/invoice.js';
import { fixture } from '../support/fixtures.js';
import { startOpenAiCompatibleServer, type OpenAiCompatibleServer } from '../support/openaiCompatibleServer.js';
import { startTestHost, type TestHost } from '../support/testHost.js';

const expected = JSON.parse(fixture('invoice.expected.json').toString('utf8')) as unknown;

interface SentBody {
  model: string;
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  reasoning_effort?: string;
}

const hostEnv = (url: string, env: Record<string, string> = {}): Record<string, string> => ({
  AZURE_OPENAI_ENDPOINT: url,
  AZURE_OPENAI_API_KEY: 'test-key',
  AZURE_OPENAI_DEPLOYMENT: 'gpt-5.1',
  MODEL_MAX_RETRIES: '0',
  MODEL_TIMEOUT_MS: '5000',
  RESULT_CACHE: 'off',
  ...env,
});

describe('an invoice on a gpt-5.1 deployment over the v1 API', () => {
  let server: OpenAiCompatibleServer;
  let t: TestHost;
  beforeAll(async () => {
    server = await startOpenAiCompatibleServer({ model: 'gpt-5.1-2025-11-13', acceptedCredentials: ['test-key'] });
    t = await startTestHost({ env: hostEnv(server.url) });
  });
  afterAll(async () => {
    await t.stop();
    await server.close();
  });

  it('succeeds with max_completion_tokens and no temperature on /openai/v1, the gpt-5.1 estimate beside the billed tokens', async () => {
    server.reply({ content: JSON.stringify(expected) });
    await t.upload('invoices/inv-5.png', fixture('invoice.png'));
    const record = await t.waitForRecord('invoices/inv-5.png');

    expect(record.status).toBe('succeeded');
    expect(invoiceSchema.parse(record.data)).toEqual(expected);
    const request = server.requests.at(-1);
    expect(request?.path).toBe('/openai/v1/chat/completions');
    expect(request?.query).toEqual({});
    expect(request?.auth).toBe('api-key');
    const body = request?.body as SentBody;
    expect(body.model).toBe('gpt-5.1');
    expect(body.max_completion_tokens).toBeGreaterThan(1500);
    expect(body).not.toHaveProperty('max_tokens');
    expect(body).not.toHaveProperty('temperature');
    expect(body.reasoning_effort).toBe('low');

    expect(record.provider.model).toBe('gpt-5.1-2025-11-13');
    expect(record.provider.info).toMatchObject({ api: 'azure-openai-v1', requestShape: 'reasoning', reasoningEffort: 'low' });
    // The image as sent, priced by the gpt-5.1 formula (70 + 140 per tile).
    const sent = await sharp(Buffer.from(JSON.stringify(request?.body).match(/base64,([^"]+)/)?.[1] ?? '', 'base64')).metadata();
    expect(record.usage.imageTokensEstimated).toBe(imageTokens('gpt-5.1', 'high', sent.width, sent.height));
    expect((record.usage.imageTokensEstimated ?? 0) % 140).toBe(70);
    expect(record.usage.promptTokensEstimated).toBeGreaterThan(record.usage.imageTokensEstimated ?? 0);
    expect(record.usage.promptTokens).toBeGreaterThan(0);
    // The server bills by the published formula: estimate and bill agree within the warning threshold.
    expect(Math.abs((record.usage.promptTokens ?? 0) / (record.usage.promptTokensEstimated ?? 1) - 1)).toBeLessThanOrEqual(0.15);
    expect(record.usage.reasoningTokens).toBeGreaterThan(0);
    expect(record.usage.completionTokens).toBeGreaterThan(record.usage.reasoningTokens ?? 0);
    expect(record.warnings).toEqual([]);
  });

  it('asks once more with twice the budget when reasoning used it all, and says so', async () => {
    server.reply({ reasoningTokens: 100_000 }, { content: JSON.stringify(expected), reasoningTokens: 300 });
    await t.upload('invoices/deep-thought.png', fixture('invoice.png'));
    const record = await t.waitForRecord('invoices/deep-thought.png');

    expect(record.status).toBe('succeeded');
    const [first, second] = server.requests.slice(-2).map((r) => r.body as SentBody);
    expect(second?.max_completion_tokens).toBe(2 * (first?.max_completion_tokens ?? 0));
    expect(record.warnings.join('\n')).toMatch(/did not fit \d+ completion tokens; it was asked again with \d+/);
    // Both calls are billed, and counted.
    expect(record.usage.completionTokens).toBeGreaterThan(first?.max_completion_tokens ?? 0);
  });

  it('fails output_truncated, not schema_validation_failed, when the larger budget runs out too', async () => {
    server.reply({ reasoningTokens: 100_000 }, { reasoningTokens: 100_000 });
    await t.upload('invoices/endless.png', fixture('invoice.png'));
    const record = await t.waitForRecord('invoices/endless.png');

    expect(record.status).toBe('failed');
    expect(record.error?.code).toBe('output_truncated');
    expect(record.error?.retryable).toBe(false);
    expect(record.error?.message).toMatch(/MODEL_REASONING_EFFORT/);
    expect(record.error?.details).toMatchObject({ reasoningTokens: expect.any(Number) as number });
    expect(record.usage.completionTokens).toBeGreaterThan(0);
  });
});

describe('the other paths and families', () => {
  const started: { stop(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const part of started.splice(0).reverse()) await part.stop();
  });
  async function start(options: Parameters<typeof startOpenAiCompatibleServer>[0], env: Record<string, string>) {
    const server = await startOpenAiCompatibleServer(options);
    started.push({ stop: () => server.close() });
    const t = await startTestHost({ env: hostEnv(server.url, env) });
    started.push(t);
    return { server, t };
  }

  it('keeps the dated path when AZURE_OPENAI_API_VERSION is set, and gpt-4o working with max_tokens and temperature 0', async () => {
    const { server, t } = await start(
      { model: 'gpt-4o-2024-11-20' },
      { AZURE_OPENAI_DEPLOYMENT: 'legacy-vision', VISION_MODEL: 'gpt-4o', AZURE_OPENAI_API_VERSION: '2024-10-21' },
    );
    server.reply({ content: JSON.stringify(expected) });
    await t.upload('invoices/dated.png', fixture('invoice.png'));
    const record = await t.waitForRecord('invoices/dated.png');

    expect(record.status).toBe('succeeded');
    const request = server.requests.at(-1);
    expect(request?.path).toBe('/openai/deployments/legacy-vision/chat/completions');
    expect(request?.query['api-version']).toBe('2024-10-21');
    expect(request?.body).toMatchObject({ max_tokens: 1500, temperature: 0 });
    expect(request?.body).not.toHaveProperty('reasoning_effort');
    expect((record.usage.imageTokensEstimated ?? 0) % 170).toBe(85);
    expect(record.provider.info).toMatchObject({ api: 'azure-openai-2024-10-21', requestShape: 'classic' });
  });

  it('calibrates against what the service bills, and warns when it departs from the estimate by more than 15 %', async () => {
    // gpt-5-mini as users measure it: billed at 1.2 per patch, not the published 1.62.
    const { server, t } = await start(
      { model: 'gpt-5-mini-2025-08-07', imageBillingFactor: 1.2 / 1.62 },
      {
        AZURE_OPENAI_DEPLOYMENT: 'mini',
        VISION_MODEL: 'gpt-5-mini',
        MODEL_REASONING_EFFORT: 'minimal',
      },
    );
    // A large image, so that the image is most of the prompt and the discount shows in the total.
    const photo = await sharp({
      create: { width: 1600, height: 1600, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
    })
      .jpeg()
      .toBuffer();
    await t.upload('photos/one.jpg', photo);
    const record = await t.waitForRecord('photos/one.jpg');

    expect(record.status).toBe('succeeded');
    expect(server.requests.at(-1)?.body).toMatchObject({ reasoning_effort: 'minimal' });
    const { promptTokens, promptTokensEstimated } = record.usage;
    expect(promptTokens).toBeLessThan((promptTokensEstimated ?? 0) * 0.85);
    expect(record.warnings.join('\n')).toMatch(/billed prompt tokens \(\d+\) differ from the estimate \(\d+\) by -\d+ %/);
  });
});
