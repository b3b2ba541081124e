/**
 * Every built-in profile end to end: upload -> local host -> Azure OpenAI-compatible test server ->
 * result. Each test checks the request the worker sent (prompts, strict json_schema, detail, the image
 * as a data URL) and the validated result; then the repair path (one more request that carries the
 * validation errors) and its limit (a second failure is permanent and keeps both raw answers); then a
 * profile defined only in a profile file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInProfiles } from '../../src/profiles/index.js';
import { planFor } from '../../src/models/requestShape.js';
import { repairInstruction } from '../../src/providers/openaiProvider.js';
import { measure, reasoningTokensFor } from '../support/chatRules.js';
import { exampleResult } from '../support/profileExamples.js';
import {
  deploymentEnv,
  startOpenAiCompatibleServer,
  type OpenAiCompatibleServer,
  type RecordedRequest,
} from '../support/openaiCompatibleServer.js';
import { startTestHost, type TestHost } from '../support/testHost.js';
import { fixture } from '../support/fixtures.js';

type Part = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string; detail: string } };
interface ChatBody {
  model: string;
  messages: { role: string; content: string | Part[] }[];
  response_format: { type: string; json_schema: { name: string; schema: unknown; strict: boolean } };
  max_tokens?: number;
  max_completion_tokens?: number;
}

const bodyOf = (request: RecordedRequest | undefined): ChatBody => request?.body as ChatBody;

const SERVED = 'gpt-5.1-2025-11-13';
/** What the test server bills for a request, to check that usage adds up every call. */
const serverPromptTokens = async (body: ChatBody): Promise<number> => (await measure(body as never, SERVED)).promptTokens;
/** The answer's tokens and what the model thought before it (at the effort sent). */
const completionTokens = (content: string, body: ChatBody): number =>
  Math.ceil(content.length / 4) + reasoningTokensFor(SERVED, body as never);

async function decodeDataUrl(url: string): Promise<{ mime: string; format: string | undefined; width: number; height: number }> {
  const match = /^data:(image\/[a-z]+);base64,(.+)$/.exec(url);
  if (match?.[2] === undefined) throw new Error(`not a data URL: ${url.slice(0, 40)}`);
  const meta = await sharp(Buffer.from(match[2], 'base64')).metadata();
  return { mime: match[1] ?? '', format: meta.format, width: meta.width, height: meta.height };
}

const AZURE_ENV = (server: OpenAiCompatibleServer) => ({
  ...deploymentEnv(server.url),
  MODEL_TIMEOUT_MS: '5000',
  // The same fixtures are uploaded with a different scripted answer each time: every upload must ask.
  RESULT_CACHE: 'off',
});

describe('built-in profiles end to end with the openai provider', () => {
  let server: OpenAiCompatibleServer;
  let t: TestHost;
  beforeAll(async () => {
    server = await startOpenAiCompatibleServer();
    t = await startTestHost({ env: AZURE_ENV(server), host: { maxDequeueCount: 2 } });
  });
  afterAll(async () => {
    await t.stop();
    await server.close();
  });

  /** How each upload reaches its profile: the default, a default path rule, or blob metadata. */
  const cases = [
    { profile: 'describe', blob: 'holiday/harbour.jpg', fixture: 'photo.jpg', metadata: undefined, mime: 'image/jpeg', size: [320, 480] },
    { profile: 'invoice', blob: 'invoices/inv-1042.png', fixture: 'invoice.png', metadata: undefined, mime: 'image/png', size: [768, 768] },
    { profile: 'receipt', blob: 'receipts/cafe.png', fixture: 'invoice.png', metadata: undefined, mime: 'image/png', size: [768, 768] },
    {
      profile: 'form',
      blob: 'scans/address.png',
      fixture: 'screenshot.png',
      metadata: { profile: 'form' },
      mime: 'image/png',
      size: [640, 400],
    },
    {
      profile: 'architecture',
      blob: 'scans/shop.png',
      fixture: 'screenshot.png',
      metadata: { profile: 'architecture' },
      mime: 'image/png',
      size: [640, 400],
    },
    {
      profile: 'chart',
      blob: 'scans/revenue.png',
      fixture: 'chart.png',
      metadata: { profile: 'chart' },
      mime: 'image/png',
      size: [480, 320],
    },
  ];

  it.each(cases)('$profile: sends its prompts, strict schema and detail, and writes the validated answer', async (c) => {
    const profile = builtInProfiles.get(c.profile);
    if (profile === undefined) throw new Error(`no profile ${c.profile}`);
    const answer = exampleResult(c.profile);
    const before = server.requests.length;
    server.reply({ content: JSON.stringify(answer) });
    await t.upload(c.blob, fixture(c.fixture), c.metadata);
    const record = await t.waitForRecord(c.blob);

    expect(server.requests).toHaveLength(before + 1);
    const body = bodyOf(server.requests.at(-1));
    expect(server.requests.at(-1)?.deployment).toBe('vision');
    expect(body.messages).toHaveLength(2);
    expect(body.messages[0]).toEqual({ role: 'system', content: profile.system });
    const [text, image, ...more] = body.messages[1]?.content as Part[];
    expect(body.messages[1]?.role).toBe('user');
    expect(text).toEqual({ type: 'text', text: profile.user });
    expect(more).toEqual([]);
    if (image?.type !== 'image_url') throw new Error('expected the image after the prompt');
    expect(image.image_url.detail).toBe(profile.detail);
    const sent = await decodeDataUrl(image.image_url.url);
    expect(sent.mime).toBe(c.mime);
    expect(sent.format).toBe(c.mime === 'image/png' ? 'png' : 'jpeg');
    expect([sent.width, sent.height]).toEqual(c.size);
    expect(body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: profile.name, schema: profile.jsonSchema, strict: true },
    });
    expect(body.max_completion_tokens).toBe(planFor({ profile }, 'gpt-5.1', t.config.model.request).budget);
    expect(body).not.toHaveProperty('max_tokens');

    expect(record.status).toBe('succeeded');
    expect(record.profile).toBe(c.profile);
    expect(record.detail).toBe(profile.detail);
    expect(record.data).toEqual(answer);
    expect(record.warnings).toEqual([]);
  });

  it('warns when receipt arithmetic does not add up', async () => {
    server.reply({ content: JSON.stringify({ ...exampleResult('receipt'), total: 12 }) });
    await t.upload('receipts/wrong-total.png', fixture('invoice.png'));
    const record = await t.waitForRecord('receipts/wrong-total.png');
    expect(record.status).toBe('succeeded');
    expect(record.warnings).toEqual(['subtotal 8.9 + tax 0.62 + tip 1 = 10.52, but total is 12']);
  });

  it('repairs an answer that fails validation with one more request carrying the errors, and adds up both calls', async () => {
    const good = exampleResult('invoice');
    const bad = JSON.stringify({ ...good, date: '15 March 2024', total: '95.84' });
    const fixed = JSON.stringify(good);
    const before = server.requests.length;
    server.reply({ content: bad }, { content: fixed });
    await t.upload('invoices/needs-repair.png', fixture('invoice.png'));
    const record = await t.waitForRecord('invoices/needs-repair.png');

    expect(server.requests).toHaveLength(before + 2);
    const [first, second] = server.requests.slice(-2).map(bodyOf);
    if (first === undefined || second === undefined) throw new Error('expected two requests');
    const issues = ['date: expected a date as YYYY-MM-DD', 'total: expected number, received string'];
    expect(second.messages).toEqual([
      ...first.messages,
      { role: 'assistant', content: bad },
      { role: 'user', content: repairInstruction(issues) },
    ]);
    expect(second.response_format).toEqual(first.response_format);

    expect(record.status).toBe('succeeded');
    expect(record.data).toEqual(good);
    expect(record.warnings).toEqual([
      `the first answer did not match the "invoice" schema (${issues.join('; ')}); a repair request corrected it`,
    ]);
    expect(record.usage.promptTokens).toBe((await serverPromptTokens(first)) + (await serverPromptTokens(second)));
    expect(record.usage.completionTokens).toBe(completionTokens(bad, first) + completionTokens(fixed, second));
  });

  it('writes a permanent failure record that keeps both raw answers when the repair fails too', async () => {
    const first = JSON.stringify({ ...exampleResult('invoice'), date: 'March 15th' });
    const second = 'Here is the corrected invoice: {"vendor": "Northwind"';
    const before = server.requests.length;
    server.reply({ content: first }, { content: second });
    await t.upload('invoices/hopeless.png', fixture('invoice.png'));
    const record = await t.waitForRecord('invoices/hopeless.png');

    expect(record.status).toBe('failed');
    expect(record.profile).toBe('invoice');
    expect(record.attempt).toBe(1);
    expect(record.error).toMatchObject({
      code: 'schema_validation_failed',
      retryable: false,
      message: 'the model\'s answer does not match the "invoice" schema, also after one repair request: (root): the answer is not JSON',
      details: {
        issues: ['(root): the answer is not JSON'],
        rawText: second,
        firstIssues: ['date: expected a date as YYYY-MM-DD'],
        firstRawText: first,
        model: SERVED,
      },
    });
    const [firstBody, secondBody] = server.requests.slice(-2).map(bodyOf);
    if (firstBody === undefined || secondBody === undefined) throw new Error('expected two requests');
    expect(record.usage.completionTokens).toBe(completionTokens(first, firstBody) + completionTokens(second, secondBody));
    // Permanent: the message completed, nothing was asked again.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(server.requests).toHaveLength(before + 2);
  });
});

describe('a user-defined profile from a profile file, end to end', () => {
  const schema = {
    type: 'object',
    additionalProperties: false,
    required: ['plate', 'fine', 'issued'],
    properties: {
      plate: { type: 'string', description: 'Number plate as printed' },
      fine: { type: ['number', 'null'] },
      issued: { type: ['string', 'null'], enum: ['on-street', 'car-park', null] },
    },
  };
  const file = [
    'rules:',
    '  - prefix: parking/',
    '    profile: parking-ticket',
    'profiles:',
    '  parking-ticket:',
    '    description: Parking tickets',
    '    system: You read parking tickets. Answer only with JSON that matches the schema.',
    '    user: Extract the ticket.',
    '    detail: low',
    '    format: jpeg',
    '    maxOutputTokens: 300',
    '    model: gpt-4o-mini',
    `    schema: ${JSON.stringify(schema)}`,
    '',
  ].join('\n');

  let server: OpenAiCompatibleServer;
  let t: TestHost;
  beforeAll(async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'profiles-e2e-')), 'profiles.yaml');
    writeFileSync(path, file);
    // The profile names its own deployment, of an older chat model.
    server = await startOpenAiCompatibleServer({ deployments: { 'gpt-4o-mini': 'gpt-4o-mini-2024-07-18' } });
    t = await startTestHost({ env: { ...AZURE_ENV(server), PROFILES_FILE: path } });
  });
  afterAll(async () => {
    await t.stop();
    await server.close();
  });

  it('selects it by path rule, sends its prompts, schema and deployment, and validates against its JSON Schema', async () => {
    const answer = { plate: 'KA-XY 123', fine: 40, issued: 'car-park' };
    server.reply({ content: JSON.stringify(answer) });
    await t.upload('parking/ticket-1.png', fixture('screenshot.png'));
    const record = await t.waitForRecord('parking/ticket-1.png');

    const request = server.requests.at(-1);
    expect(request?.deployment).toBe('gpt-4o-mini');
    const body = bodyOf(request);
    expect(body.messages[0]).toEqual({
      role: 'system',
      content: 'You read parking tickets. Answer only with JSON that matches the schema.',
    });
    const [text, image] = body.messages[1]?.content as Part[];
    expect(text).toEqual({ type: 'text', text: 'Extract the ticket.' });
    if (image?.type !== 'image_url') throw new Error('expected an image');
    expect(image.image_url.detail).toBe('low');
    expect((await decodeDataUrl(image.image_url.url)).format).toBe('jpeg');
    expect(body.response_format.json_schema).toEqual({ name: 'parking-ticket', schema, strict: true });
    // The profile's model also picks the request shape: max_tokens and temperature 0 for gpt-4o-mini.
    expect(body.max_tokens).toBe(300);
    expect(body).not.toHaveProperty('max_completion_tokens');

    expect(record).toMatchObject({ status: 'succeeded', profile: 'parking-ticket', detail: 'low', data: answer, warnings: [] });
    // The profile's model also picks the token formula: gpt-4o-mini charges 2833 tokens for a low-detail image.
    expect(record.usage.imageTokensEstimated).toBe(2833);
  });

  it('repairs an answer that breaks the JSON Schema', async () => {
    server.reply(
      { content: JSON.stringify({ plate: 'B-1', fine: '40 EUR', issued: 'garage' }) },
      { content: JSON.stringify({ plate: 'B-1', fine: 40, issued: null }) },
    );
    await t.upload('parking/ticket-2.png', fixture('screenshot.png'));
    const record = await t.waitForRecord('parking/ticket-2.png');
    const repair = bodyOf(server.requests.at(-1)).messages.at(-1);
    expect(repair?.content).toBe(
      repairInstruction(['fine: expected number or null, received string', 'issued: expected "on-street" or "car-park" or null']),
    );
    expect(record.data).toEqual({ plate: 'B-1', fine: 40, issued: null });
  });

  it('keeps the built-in profiles, reachable through metadata', async () => {
    server.reply({ content: JSON.stringify(exampleResult('chart')) });
    await t.upload('parking/occupancy.png', fixture('chart.png'), { profile: 'chart' });
    const record = await t.waitForRecord('parking/occupancy.png');
    expect(record.profile).toBe('chart');
    expect(record.data).toEqual(exampleResult('chart'));
  });
});
