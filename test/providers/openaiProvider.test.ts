import type { AccessToken, TokenCredential } from '@azure/identity';
import sharp from 'sharp';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ModelSettings, ProviderSettings } from '../../src/config.js';
import { PermanentError, TransientError, type WorkerError } from '../../src/errors.js';
import { describeProfile } from '../../src/profiles/describe.js';
import { invoiceProfile } from '../../src/profiles/invoice.js';
import type { Profile } from '../../src/profiles/types.js';
import { MODEL_FAMILIES } from '../../src/models/modelFamilies.js';
import { completionBudget, planRequest, type RequestSettings } from '../../src/models/requestShape.js';
import {
  AZURE_DATED_API_SCOPE,
  AZURE_V1_SCOPE,
  MAX_RETRY_WAIT_MS,
  createOpenAiProvider,
  worstCaseCallMs,
} from '../../src/providers/openaiProvider.js';
import type { AnalysisRequest } from '../../src/providers/types.js';
import {
  exampleFor,
  promptFiltered,
  startOpenAiCompatibleServer,
  type OpenAiCompatibleServer,
  type Reply,
} from '../support/openaiCompatibleServer.js';

const AZURE_KEY = 'azure-test-key-0123456789';
const OPENAI_KEY = 'sk-test-openai-key';
const ENTRA_TOKEN = 'entra-test-token';
const DEPLOYMENT = 'vision-gpt4o';
const API_VERSION = '2024-10-21';
/** What the test server reports in `model`: Azure names the model, not the deployment. */
const SERVER_MODEL = 'gpt-4o-2024-11-20';

let png: Buffer;
let server: OpenAiCompatibleServer;

beforeAll(async () => {
  png = await sharp({ create: { width: 4, height: 3, channels: 3, background: '#336699' } })
    .png()
    .toBuffer();
});

beforeEach(async () => {
  server = await startOpenAiCompatibleServer({ acceptedCredentials: [AZURE_KEY, OPENAI_KEY, ENTRA_TOKEN], model: SERVER_MODEL });
});

afterEach(async () => {
  await server.close();
});

const REQUEST: RequestSettings = { shape: 'auto', unknownModelShape: 'reasoning', reasoningEffort: 'low' };

const modelSettings = (overrides: Partial<ModelSettings> = {}): ModelSettings => ({
  visionModel: 'gpt-4o',
  timeoutMs: 5_000,
  maxRetries: 0,
  priceOverride: {},
  request: REQUEST,
  ...overrides,
});

/** `null` means keyless (Entra ID). */
const azureSettings = (apiKey: string | null = AZURE_KEY): Extract<ProviderSettings, { kind: 'azure-openai' }> => ({
  kind: 'azure-openai',
  endpoint: server.url,
  deployment: DEPLOYMENT,
  apiVersion: API_VERSION,
  ...(apiKey === null ? {} : { apiKey }),
});

function requestFor<T>(profile: Profile<T>, signal?: AbortSignal): AnalysisRequest {
  const detail = profile.detail === 'high' ? 'high' : 'low';
  return {
    profile: profile as Profile,
    images: [
      {
        name: 'test.png',
        image: { bytes: png, mime: 'image/png', width: 4, height: 3, detail, imageTokens: 85 },
        source: { bytes: png, mime: 'image/png', width: 4, height: 3 },
      },
    ],
    ...(signal === undefined ? {} : { signal }),
  };
}

async function analyzeAzure(model: Partial<ModelSettings> = {}, request: AnalysisRequest = requestFor(describeProfile)) {
  return createOpenAiProvider(azureSettings(), modelSettings(model)).analyze(request);
}

async function failureOf(promise: Promise<unknown>): Promise<WorkerError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof PermanentError || error instanceof TransientError)) {
    throw new Error(`expected a WorkerError, got ${String(error)}`);
  }
  return error;
}

interface SentBody {
  model: string;
  messages: [
    { role: string; content: string },
    { role: string; content: [{ type: string; text: string }, { type: string; image_url: { url: string; detail: string } }] },
  ];
  response_format: { type: string; json_schema: { name: string; schema: unknown; strict: boolean } };
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  reasoning_effort?: string;
}

const rateLimited = (headers: Record<string, string>): Reply => ({
  status: 429,
  headers,
  body: { error: { code: '429', message: 'Requests to the ChatCompletions_Create Operation have exceeded the rate limit.' } },
});

describe('createOpenAiProvider over HTTP', () => {
  it('calls the dated deployment path of a gpt-4o deployment with an api key and returns data, usage and model', async () => {
    const provider = createOpenAiProvider(azureSettings(), modelSettings());
    const result = await provider.analyze(requestFor(describeProfile));

    expect(server.requests).toHaveLength(1);
    const [sent] = server.requests;
    expect(sent?.path).toBe(`/openai/deployments/${DEPLOYMENT}/chat/completions`);
    expect(sent?.deployment).toBe(DEPLOYMENT);
    expect(sent?.query['api-version']).toBe(API_VERSION);
    expect(sent?.auth).toBe('api-key');
    expect(sent?.headers['api-key']).toBe('[redacted]');
    expect(sent?.headers.authorization).toBeUndefined();

    const body = sent?.body as SentBody;
    expect(body.messages[0]).toEqual({ role: 'system', content: describeProfile.system });
    expect(body.messages[1].role).toBe('user');
    expect(body.messages[1].content[0]).toEqual({ type: 'text', text: describeProfile.user });
    const image = body.messages[1].content[1];
    expect(image.type).toBe('image_url');
    expect(image.image_url.detail).toBe('low');
    expect(image.image_url.url).toBe(`data:image/png;base64,${png.toString('base64')}`);
    expect(Buffer.from(image.image_url.url.slice('data:image/png;base64,'.length), 'base64').equals(png)).toBe(true);
    expect(body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'describe', schema: describeProfile.jsonSchema, strict: true },
    });
    expect(body.max_tokens).toBe(describeProfile.maxOutputTokens);
    expect(body.temperature).toBe(0);

    expect(result.data).toEqual(exampleFor(describeProfile.jsonSchema));
    expect(describeProfile.schema.safeParse(result.data).success).toBe(true);
    expect(JSON.parse(result.rawText)).toEqual(result.data);
    expect(result.model).toBe(SERVER_MODEL);
    expect(result.usage.promptTokens).toBeGreaterThan(85);
    expect(result.usage.completionTokens).toBeGreaterThan(0);
    expect(result.warnings).toEqual([]);
    expect(result.info).toEqual({ api: `azure-openai-${API_VERSION}`, requestShape: 'classic', requestId: 'req-1' });
    await expect(provider.close()).resolves.toBeUndefined();
  });

  it("sends the invoice profile's schema, high detail and token limit", async () => {
    await analyzeAzure({}, requestFor(invoiceProfile));
    const body = server.requests[0]?.body as SentBody;
    expect(body.response_format.json_schema).toEqual({ name: 'invoice', schema: invoiceProfile.jsonSchema, strict: true });
    expect(body.messages[1].content[1].image_url.detail).toBe('high');
    expect(body.max_tokens).toBe(invoiceProfile.maxOutputTokens);
  });

  it('calls /v1/chat/completions with a bearer key, the model name and a sanitised schema name', async () => {
    const provider = createOpenAiProvider(
      { kind: 'openai', apiKey: OPENAI_KEY, baseUrl: server.v1BaseUrl, model: 'llava:13b' },
      modelSettings(),
    );
    const result = await provider.analyze(requestFor({ ...describeProfile, name: 'receipts/v2 (beta)' }));

    const [sent] = server.requests;
    expect(sent?.path).toBe('/v1/chat/completions');
    expect(sent?.deployment).toBeUndefined();
    expect(sent?.auth).toBe('bearer');
    expect(sent?.headers.authorization).toBe('[redacted]');
    const body = sent?.body as SentBody;
    expect(body.model).toBe('llava:13b');
    expect(body.response_format.json_schema.name).toBe('receipts_v2__beta_');
    expect(result.model).toBe('llava:13b');
    expect(result.info?.api).toBe('openai');
    expect(describeProfile.schema.safeParse(result.data).success).toBe(true);
  });

  it('signs in to the dated API without a key through the given TokenCredential, for its scope', async () => {
    const scopes: (string | string[])[] = [];
    const credential: TokenCredential = {
      getToken: async (scope): Promise<AccessToken> => {
        scopes.push(scope);
        return { token: ENTRA_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
    const provider = createOpenAiProvider(azureSettings(null), modelSettings(), { credential });
    const result = await provider.analyze(requestFor(describeProfile));

    expect(scopes.flat()).toEqual([AZURE_DATED_API_SCOPE]);
    // The server accepts only the configured credentials: success means this exact token arrived as Bearer.
    expect(server.requests[0]?.auth).toBe('bearer');
    expect(server.requests[0]?.headers['api-key']).toBeUndefined();
    expect(result.data).toEqual(exampleFor(describeProfile.jsonSchema));
  });

  it('reports a token the endpoint refuses as model_auth without revealing it', async () => {
    const credential: TokenCredential = { getToken: async () => ({ token: ENTRA_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }) };
    // An endpoint that echoes the token (e.g. a proxy): the message must still not carry it.
    server.reply({ status: 401, body: { error: { code: 'PermissionDenied', message: `token ${ENTRA_TOKEN} lacks the data action` } } });
    const error = await failureOf(
      createOpenAiProvider(azureSettings(null), modelSettings(), { credential }).analyze(requestFor(describeProfile)),
    );
    expect(error).toBeInstanceOf(TransientError);
    expect(error.code).toBe('model_auth');
    expect(error.message).toContain('[redacted]');
    expect(error.message).not.toContain(ENTRA_TOKEN);
    expect(error.cause).toBeUndefined();
  });

  it('reports a credential that cannot produce a token as model_auth, before any request', async () => {
    const credential: TokenCredential = {
      getToken: async () => {
        throw new Error('ManagedIdentityCredential: no identity endpoint');
      },
    };
    const error = await failureOf(
      createOpenAiProvider(azureSettings(null), modelSettings(), { credential }).analyze(requestFor(describeProfile)),
    );
    expect(error.code).toBe('model_auth');
    expect(error.message).toContain('no identity endpoint');
    expect(server.requests).toHaveLength(0);
  });

  describe('rate limits', () => {
    it('lets the SDK retry 429s that ask for a short wait, then succeeds', async () => {
      server.reply(rateLimited({ 'retry-after-ms': '10' }), rateLimited({ 'retry-after-ms': '10' }));
      const result = await analyzeAzure({ maxRetries: 2 });
      expect(server.requests).toHaveLength(3);
      expect(server.requests.map((r) => r.headers['x-stainless-retry-count'])).toEqual(['0', '1', '2']);
      expect(result.data).toEqual(exampleFor(describeProfile.jsonSchema));
    });

    it('turns a 429 without retries left into rate_limited with retryAfterMs', async () => {
      server.setHandler(() => rateLimited({ 'retry-after-ms': '10', 'retry-after': '1' }));
      const error = await failureOf(analyzeAzure({ maxRetries: 0 }));
      expect(error).toBeInstanceOf(TransientError);
      expect(error.code).toBe('rate_limited');
      expect(error.details).toEqual({ status: 429, retryAfterMs: 10 });
      expect(error.message).toContain('exceeded the rate limit');
      expect(server.requests).toHaveLength(1);
    });

    it('reads retry-after in seconds when retry-after-ms is absent', async () => {
      server.setHandler(() => rateLimited({ 'retry-after': '3' }));
      const error = await failureOf(analyzeAzure({ maxRetries: 0 }));
      expect(error.details?.retryAfterMs).toBe(3_000);
    });

    it('takes a retry-after-ms of 0 as the wait, for the SDK sleep too, whatever retry-after says', async () => {
      server.reply(rateLimited({ 'retry-after-ms': '0', 'retry-after': '30' }));
      const started = performance.now();
      const result = await analyzeAzure({ maxRetries: 1 });
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(server.requests).toHaveLength(2);
      expect(result.data).toEqual(exampleFor(describeProfile.jsonSchema));

      server.setHandler(() => rateLimited({ 'retry-after-ms': '0', 'retry-after': '30' }));
      const error = await failureOf(analyzeAzure({ maxRetries: 0 }));
      expect(error.details).toEqual({ status: 429, retryAfterMs: 0 });
    }, 5_000);

    it('hands a wait longer than MAX_RETRY_WAIT_MS back to the queue instead of sleeping', async () => {
      server.setHandler(() => rateLimited({ 'retry-after': String(MAX_RETRY_WAIT_MS / 1000 + 22) }));
      const started = performance.now();
      const error = await failureOf(analyzeAzure({ maxRetries: 2 }));
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(server.requests).toHaveLength(1);
      expect(error.code).toBe('rate_limited');
      expect(error.details?.retryAfterMs).toBe(MAX_RETRY_WAIT_MS + 22_000);
    }, 5_000);
  });

  describe('unavailability and time', () => {
    it('maps a 500 to model_unavailable', async () => {
      server.setHandler(() => ({ status: 500, body: { error: { message: 'The server had an error while processing your request.' } } }));
      const error = await failureOf(analyzeAzure());
      expect(error).toBeInstanceOf(TransientError);
      expect(error.code).toBe('model_unavailable');
      expect(error.details).toEqual({ status: 500 });
    });

    it('maps a refused connection to model_unavailable', async () => {
      const closed = await startOpenAiCompatibleServer();
      await closed.close();
      const provider = createOpenAiProvider({ ...azureSettings(), endpoint: closed.url }, modelSettings());
      const error = await failureOf(provider.analyze(requestFor(describeProfile)));
      expect(error.code).toBe('model_unavailable');
      expect(error.message).toMatch(/could not reach the model endpoint: .*ECONNREFUSED/);
    });

    it('times out an attempt that gets no answer, once per attempt', async () => {
      server.setHandler(() => ({ hang: 'headers' }));
      const started = performance.now();
      const error = await failureOf(analyzeAzure({ timeoutMs: 300, maxRetries: 1 }));
      const elapsed = performance.now() - started;
      expect(error).toBeInstanceOf(TransientError);
      expect(error.code).toBe('timeout');
      expect(error.details).toEqual({ timeoutMs: 300, attempts: 2 });
      expect(server.requests).toHaveLength(2);
      expect(elapsed).toBeGreaterThanOrEqual(550);
      expect(elapsed).toBeLessThan(worstCaseCallMs({ timeoutMs: 300, maxRetries: 1 }));
    });

    it('times out a body that stalls after the headers (the SDK timer stops at the headers)', async () => {
      server.setHandler(() => ({ hang: 'body' }));
      const error = await failureOf(analyzeAzure({ timeoutMs: 300 }));
      expect(error.code).toBe('timeout');
    }, 5_000);

    it("maps the caller's timeout signal to timeout and a plain abort to a transient cancel", async () => {
      server.setHandler(() => ({ hang: 'headers' }));
      const timedOut = await failureOf(analyzeAzure({}, requestFor(describeProfile, AbortSignal.timeout(200))));
      expect(timedOut.code).toBe('timeout');
      expect(timedOut.message).toContain('time budget ran out');

      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const cancelled = await failureOf(analyzeAzure({}, requestFor(describeProfile, controller.signal)));
      expect(cancelled).toBeInstanceOf(TransientError);
      expect(cancelled.code).toBe('internal_error');
    });

    it('bounds the worst case by timeout x attempts + capped waits', () => {
      expect(worstCaseCallMs({ timeoutMs: 120_000, maxRetries: 2 })).toBe(376_000);
    });
  });

  describe('content filters and refusals', () => {
    it('maps an Azure 400 content_filter to content_filtered with the filtered categories, without retrying', async () => {
      server.setHandler(() =>
        promptFiltered({
          hate: { filtered: false, severity: 'safe' },
          jailbreak: { filtered: false, detected: false },
          self_harm: { filtered: true, severity: 'high' },
          sexual: { filtered: true, severity: 'medium' },
          violence: { filtered: false, severity: 'low' },
        }),
      );
      const error = await failureOf(analyzeAzure({ maxRetries: 2 }));
      expect(error).toBeInstanceOf(PermanentError);
      expect(error.code).toBe('content_filtered');
      expect(error.details).toEqual({ status: 400, categories: ['self_harm', 'sexual'], stage: 'prompt' });
      expect(server.requests).toHaveLength(1);
    });

    it("maps finish_reason content_filter to content_filtered with the choice's categories", async () => {
      server.reply({ finishReason: 'content_filter' });
      const error = await failureOf(analyzeAzure());
      expect(error).toBeInstanceOf(PermanentError);
      expect(error.code).toBe('content_filtered');
      expect(error.details).toEqual({ categories: ['violence'], stage: 'completion' });
    });

    it('maps a refusal to content_filtered with the refusal text', async () => {
      server.reply({ refusal: "I'm sorry, I can't help with that request." });
      const error = await failureOf(analyzeAzure());
      expect(error).toBeInstanceOf(PermanentError);
      expect(error.code).toBe('content_filtered');
      expect(error.details?.refusal).toBe("I'm sorry, I can't help with that request.");
    });

    it('maps another 400 to model_rejected with the API message', async () => {
      server.reply({
        status: 400,
        body: { error: { message: 'Invalid image data.', type: 'invalid_request_error', param: 'messages', code: 'invalid_image' } },
      });
      const error = await failureOf(analyzeAzure({ maxRetries: 2 }));
      expect(error).toBeInstanceOf(PermanentError);
      expect(error.code).toBe('model_rejected');
      expect(error.message).toContain('Invalid image data.');
      expect(error.details).toEqual({ status: 400, code: 'invalid_image', param: 'messages' });
      expect(server.requests).toHaveLength(1);
    });
  });

  describe('answers the pipeline must judge', () => {
    it('keeps non-JSON content as rawText with data undefined', async () => {
      server.reply({ content: 'Sure! The image shows a blue rectangle.' });
      const result = await analyzeAzure();
      expect(result.data).toBeUndefined();
      expect(result.rawText).toBe('Sure! The image shows a blue rectangle.');
    });

    it('marks an answer cut at the budget as truncated, with the budget it ran out at', async () => {
      server.reply({ content: '{"summary": "a blue rec', finishReason: 'length' });
      const result = await analyzeAzure();
      expect(result.data).toBeUndefined();
      expect(result.rawText).toBe('{"summary": "a blue rec');
      expect(result.truncatedAt).toBe(describeProfile.maxOutputTokens);
    });

    it('keeps a complete answer that ended exactly at the budget, with a warning', async () => {
      server.reply({ finishReason: 'length' });
      const result = await analyzeAzure();
      expect(describeProfile.schema.safeParse(result.data).success).toBe(true);
      expect(result.truncatedAt).toBeUndefined();
      expect(result.warnings).toEqual([
        `the answer reached the completion budget (${describeProfile.maxOutputTokens} tokens) but is complete JSON`,
      ]);
    });
  });

  describe('authorisation failures', () => {
    it.each([401, 403, 404])('maps %i to model_auth (fix the config and replay), with the key redacted', async (status) => {
      server.reply({ status, body: { error: { code: String(status), message: `Access denied for key ${AZURE_KEY}.` } } });
      const error = await failureOf(analyzeAzure({ maxRetries: 2 }));
      expect(error).toBeInstanceOf(TransientError);
      expect(error.code).toBe('model_auth');
      expect(error.details).toEqual({ status });
      expect(error.message).not.toContain(AZURE_KEY);
      expect(error.message).toContain('[redacted]');
      expect(JSON.stringify(error.details)).not.toContain(AZURE_KEY);
      expect(server.requests).toHaveLength(1);
    });

    it('maps a wrong api key refused by the server to model_auth', async () => {
      const provider = createOpenAiProvider(azureSettings('wrong-key'), modelSettings());
      const error = await failureOf(provider.analyze(requestFor(describeProfile)));
      expect(error.code).toBe('model_auth');
      expect(error.details).toEqual({ status: 401 });
    });
  });
});

describe("today's models: request shape per family, Azure's v1 API", () => {
  const GPT_5_1 = 'gpt-5.1-2025-11-13';
  let gpt5: OpenAiCompatibleServer;

  beforeEach(async () => {
    gpt5 = await startOpenAiCompatibleServer({ acceptedCredentials: [AZURE_KEY, OPENAI_KEY, ENTRA_TOKEN], model: GPT_5_1 });
  });
  afterEach(async () => {
    await gpt5.close();
  });

  const v1Settings = (apiKey: string | null = AZURE_KEY): Extract<ProviderSettings, { kind: 'azure-openai' }> => ({
    kind: 'azure-openai',
    endpoint: `${gpt5.url}/`,
    deployment: 'extraction',
    ...(apiKey === null ? {} : { apiKey }),
  });

  it('calls /openai/v1/chat/completions without api-version, in the api-key header, with max_completion_tokens and no temperature', async () => {
    const result = await createOpenAiProvider(v1Settings(), modelSettings({ visionModel: 'gpt-5.1' })).analyze(requestFor(invoiceProfile));

    const [sent] = gpt5.requests;
    expect(sent?.path).toBe('/openai/v1/chat/completions');
    expect(sent?.query).toEqual({});
    expect(sent?.auth).toBe('api-key');
    expect(sent?.headers.authorization).toBeUndefined();
    const body = sent?.body as SentBody;
    expect(body.model).toBe('extraction');
    expect(body.max_completion_tokens).toBe(invoiceProfile.maxOutputTokens + 2048);
    expect(body.reasoning_effort).toBe('low');
    expect(body).not.toHaveProperty('max_tokens');
    expect(body).not.toHaveProperty('temperature');
    expect(body).not.toHaveProperty('top_p');

    expect(result.data).toEqual(exampleFor(invoiceProfile.jsonSchema));
    expect(result.model).toBe(GPT_5_1);
    expect(result.info).toEqual({ api: 'azure-openai-v1', requestShape: 'reasoning', reasoningEffort: 'low', requestId: 'req-1' });
    expect(result.usage.reasoningTokens).toBeGreaterThan(0);
    expect(result.usage.completionTokens).toBeGreaterThan(result.usage.reasoningTokens ?? 0);
    expect(result.usage.cachedPromptTokens).toBe(0);
  });

  it('signs in to the v1 API without a key for its own scope, and sends the token as Bearer', async () => {
    const scopes: (string | string[])[] = [];
    const credential: TokenCredential = {
      getToken: async (scope): Promise<AccessToken> => {
        scopes.push(scope);
        return { token: ENTRA_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
    const result = await createOpenAiProvider(v1Settings(null), modelSettings({ visionModel: 'gpt-5.1' }), { credential }).analyze(
      requestFor(describeProfile),
    );
    expect(scopes.flat()).toEqual([AZURE_V1_SCOPE]);
    expect(gpt5.requests[0]?.auth).toBe('bearer');
    expect(gpt5.requests[0]?.headers['api-key']).toBeUndefined();
    expect(describeProfile.schema.safeParse(result.data).success).toBe(true);
  });

  it('ignores OPENAI_API_KEY in the environment when an Azure key is set', async () => {
    const saved = process.env['OPENAI_API_KEY'];
    process.env['OPENAI_API_KEY'] = 'sk-from-the-environment';
    try {
      await createOpenAiProvider(v1Settings(), modelSettings({ visionModel: 'gpt-5.1' })).analyze(requestFor(describeProfile));
    } finally {
      if (saved === undefined) delete process.env['OPENAI_API_KEY'];
      else process.env['OPENAI_API_KEY'] = saved;
    }
    expect(gpt5.requests[0]?.headers.authorization).toBeUndefined();
    expect(gpt5.requests[0]?.auth).toBe('api-key');
  });

  it("answers max_tokens with the service's 400, which names the settings to fix", async () => {
    const provider = createOpenAiProvider(
      v1Settings(),
      modelSettings({ visionModel: 'gpt-5.1', request: { ...REQUEST, shape: 'classic' } }),
    );
    const error = await failureOf(provider.analyze(requestFor(describeProfile)));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.code).toBe('model_rejected');
    expect(error.details).toEqual({ status: 400, code: 'unsupported_parameter', param: 'max_tokens' });
    expect(error.message).toContain("Use 'max_completion_tokens' instead");
    expect(error.message).toContain('VISION_MODEL');
    expect(error.message).toContain('MODEL_REQUEST_SHAPE');
  });

  it('sends each family what it accepts (the server enforces the rules independently)', async () => {
    for (const family of MODEL_FAMILIES) {
      const served = `${family.prefix}-2099-01-01`;
      const provider = createOpenAiProvider(
        { kind: 'openai', apiKey: OPENAI_KEY, baseUrl: gpt5.v1BaseUrl, model: served },
        modelSettings({ visionModel: served }),
      );
      const result = await provider.analyze(requestFor(describeProfile));
      const body = gpt5.requests.at(-1)?.body as SentBody;
      const plan = planRequest(served, REQUEST);
      const budget = completionBudget(plan, describeProfile.maxOutputTokens);
      if (family.request.shape === 'classic') {
        expect(body, family.prefix).toMatchObject({ max_tokens: budget, temperature: 0 });
        expect(body, family.prefix).not.toHaveProperty('reasoning_effort');
      } else {
        expect(body, family.prefix).toMatchObject({
          max_completion_tokens: budget,
          reasoning_effort: plan.shape === 'reasoning' ? plan.effort : '',
        });
        expect(family.request.efforts, family.prefix).toContain(body.reasoning_effort);
        expect(body, family.prefix).not.toHaveProperty('temperature');
        expect(body, family.prefix).not.toHaveProperty('max_tokens');
      }
      expect(result.model, family.prefix).toBe(served);
      expect(describeProfile.schema.safeParse(result.data).success, family.prefix).toBe(true);
    }
  });

  it('marks an answer whose reasoning used the whole budget as truncated, with nothing to parse', async () => {
    gpt5.reply({ reasoningTokens: 50_000 });
    const result = await createOpenAiProvider(v1Settings(), modelSettings({ visionModel: 'gpt-5.1' })).analyze(requestFor(describeProfile));
    const budget = describeProfile.maxOutputTokens + 2048;
    expect(result.truncatedAt).toBe(budget);
    expect(result.rawText).toBe('');
    expect(result.data).toBeUndefined();
    expect(result.usage).toMatchObject({ completionTokens: budget, reasoningTokens: budget });
  });

  it('sends the larger budget a retry asks for', async () => {
    await createOpenAiProvider(v1Settings(), modelSettings({ visionModel: 'gpt-5.1' })).analyze({
      ...requestFor(describeProfile),
      maxCompletionTokens: 12_345,
    });
    expect((gpt5.requests[0]?.body as SentBody).max_completion_tokens).toBe(12_345);
  });
});
