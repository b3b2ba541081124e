/**
 * The worker end to end with the openai provider, over real HTTP to an OpenAI-compatible server:
 * the answer lands in the result with its usage, and a model that keeps failing ends in the poison
 * queue with a failure record that names the attempts and the last error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoiceSchema } from '../../src/profiles/invoice.js';
import {
  deploymentEnv,
  schemaAnswer,
  startOpenAiCompatibleServer,
  type OpenAiCompatibleServer,
} from '../support/openaiCompatibleServer.js';
import { waitForEmpty } from '../support/storage.js';
import { startTestHost, type TestHost } from '../support/testHost.js';
import { fixture } from '../support/fixtures.js';

const expected = JSON.parse(fixture('invoice.expected.json').toString('utf8')) as unknown;

describe('worker end to end with the openai provider', () => {
  let server: OpenAiCompatibleServer;
  let t: TestHost;
  beforeAll(async () => {
    server = await startOpenAiCompatibleServer();
    t = await startTestHost({
      env: {
        ...deploymentEnv(server.url),
        MODEL_TIMEOUT_MS: '5000',
        // The same fixtures are uploaded with a different scripted answer each time: every upload must ask.
        RESULT_CACHE: 'off',
      },
      host: { maxDequeueCount: 3 },
    });
  });
  afterAll(async () => {
    await t.stop();
    await server.close();
  });

  it('writes the model answer, its usage and cost for an invoice', async () => {
    server.reply({ content: JSON.stringify(expected) });
    await t.upload('invoices/inv-1042.png', fixture('invoice.png'));
    const record = await t.waitForRecord('invoices/inv-1042.png');

    expect(record.status).toBe('succeeded');
    expect(record.provider.name).toBe('openai');
    expect(invoiceSchema.parse(record.data)).toEqual(expected);
    expect(record.warnings).toEqual([]);
    expect(record.detail).toBe('high');
    expect(record.usage.promptTokens).toBeGreaterThan(0);
    expect(record.usage.estimatedCostUsd).toBeGreaterThan(0);

    const request = server.requests.at(-1);
    expect(request?.deployment).toBe('vision');
    const body = request?.body as { messages: { content: unknown }[]; response_format: { json_schema: { strict: boolean } } };
    expect(JSON.stringify(body.messages)).toContain('data:image/png;base64,');
    expect(body.response_format.json_schema.strict).toBe(true);
  });

  it('warns when the invoice arithmetic does not add up', async () => {
    const wrong = { ...(expected as Record<string, unknown>), total: 100 };
    server.reply({ content: JSON.stringify(wrong) });
    await t.upload('invoices/wrong-total.png', fixture('invoice.png'));
    const record = await t.waitForRecord('invoices/wrong-total.png');
    expect(record.status).toBe('succeeded');
    expect(record.warnings.join('\n')).toMatch(/subtotal 88.74 \+ tax 7.1 = 95.84, but total is 100/);
  });

  it('sends a job that keeps failing to the poison queue and records the attempts', async () => {
    server.setHandler(() => ({ status: 503, body: { error: { message: 'overloaded' } } }));
    try {
      await t.upload('always-fails.jpg', fixture('photo.jpg'));
      const record = await t.waitForRecord('always-fails.jpg', { timeoutMs: 45_000 });
      expect(record.status).toBe('failed');
      expect(record.error?.code).toBe('model_unavailable');
      expect(record.error?.retryable).toBe(true);
      expect(record.error?.details?.['attempts']).toBe(3);
      expect(record.error?.message).toMatch(/gave up after 3 attempts/);
      // recordPoison consumed the poison copy: the host deletes it once the record is written.
      const poison = t.storage.queues.getQueueClient(t.config.names.poisonQueue);
      await waitForEmpty(poison);
    } finally {
      server.setHandler(schemaAnswer);
    }
  });
});
