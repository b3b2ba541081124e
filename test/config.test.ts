/**
 * Settings are read in one place: trimmed, empty treated as unset, validated at start, and every
 * problem names the variable to fix.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, groundsWithOcr, isDevelopmentStorage, loadConfig, parseProfileRules, type Env } from '../src/config.js';

function configError(env: Env): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

/** The error names the variable, first, and quotes the value it refused. */
function expectRejected(env: Env, setting: string, quoted?: string): void {
  const error = configError(env);
  expect(error.setting, JSON.stringify(env)).toBe(setting);
  expect(error.message.startsWith(`${setting}: `), error.message).toBe(true);
  if (quoted !== undefined) expect(error.message).toContain(quoted);
}

describe('loadConfig defaults', () => {
  it('runs with nothing set: local storage, default names and limits, the offline provider', () => {
    const config = loadConfig({});
    expect(config.storage).toBeUndefined();
    expect(isDevelopmentStorage(config.storage)).toBe(true);
    expect(config.names).toEqual({
      inputContainer: 'uploads',
      resultsContainer: 'results',
      jobsQueue: 'image-jobs',
      poisonQueue: 'image-jobs-poison',
      stateContainer: 'worker-state',
      deadLetterContainer: 'eventgrid-deadletter',
    });
    expect(config.maxBlobBytes).toBe(20 * 1024 * 1024);
    expect(config.maxInputPixels).toBe(100_000_000);
    expect(config.provider).toEqual({ kind: 'offline' });
    expect(config.model).toEqual({
      visionModel: 'gpt-5.1',
      timeoutMs: 120_000,
      maxRetries: 2,
      priceOverride: {},
      request: { shape: 'auto', unknownModelShape: 'reasoning', reasoningEffort: 'low' },
    });
    expect(config.logLevel).toBe('info');
  });

  it('does not read process.env when given an env', () => {
    const saved = process.env['INPUT_CONTAINER'];
    process.env['INPUT_CONTAINER'] = 'from-process-env';
    try {
      expect(loadConfig({}).names.inputContainer).toBe('uploads');
    } finally {
      if (saved === undefined) delete process.env['INPUT_CONTAINER'];
      else process.env['INPUT_CONTAINER'] = saved;
    }
  });
});

describe('loadConfig trimming and empty values', () => {
  it('trims values', () => {
    const config = loadConfig({
      INPUT_CONTAINER: '  photos \n',
      JOBS_QUEUE: '\tjobs ',
      MAX_BLOB_BYTES: ' 1024 ',
      LOG_LEVEL: ' warn ',
      DataStorage: '  UseDevelopmentStorage=true  ',
    });
    expect(config.names.inputContainer).toBe('photos');
    expect(config.names.jobsQueue).toBe('jobs');
    expect(config.names.poisonQueue).toBe('jobs-poison');
    expect(config.maxBlobBytes).toBe(1024);
    expect(config.logLevel).toBe('warn');
    expect(config.storage).toEqual({ kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true', setting: 'DataStorage' });
  });

  it('treats empty and blank values as unset', () => {
    const config = loadConfig({
      INPUT_CONTAINER: '',
      RESULTS_CONTAINER: '   ',
      MAX_BLOB_BYTES: '',
      VISION_PROVIDER: ' ',
      AZURE_OPENAI_ENDPOINT: '',
      OPENAI_API_KEY: '  ',
      LOG_LEVEL: '',
      DataStorage: ' ',
      PRICE_INPUT_PER_MTOK: '',
    });
    expect(config.names.inputContainer).toBe('uploads');
    expect(config.names.resultsContainer).toBe('results');
    expect(config.maxBlobBytes).toBe(20 * 1024 * 1024);
    expect(config.provider).toEqual({ kind: 'offline' });
    expect(config.logLevel).toBe('info');
    expect(config.storage).toBeUndefined();
    expect(config.model.priceOverride).toEqual({});
  });
});

describe('loadConfig storage connection', () => {
  it('prefers DataStorage and falls back to AzureWebJobsStorage', () => {
    expect(
      loadConfig({ DataStorage: 'DefaultEndpointsProtocol=https;AccountName=data', AzureWebJobsStorage: 'other' }).storage,
    ).toMatchObject({
      kind: 'connectionString',
      setting: 'DataStorage',
    });
    const fallback = loadConfig({ DataStorage: '', AzureWebJobsStorage: 'UseDevelopmentStorage=true' }).storage;
    expect(fallback).toEqual({ kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true', setting: 'AzureWebJobsStorage' });
    expect(isDevelopmentStorage(fallback)).toBe(true);
    expect(isDevelopmentStorage(loadConfig({ DataStorage: 'AccountName=real' }).storage)).toBe(false);
  });

  it('reads an identity connection from __blobServiceUri and __queueServiceUri, with an optional client id', () => {
    const config = loadConfig({
      DataStorage__blobServiceUri: 'https://acct.blob.core.windows.net',
      DataStorage__queueServiceUri: 'https://acct.queue.core.windows.net',
      DataStorage__clientId: ' 00000000-0000-0000-0000-000000000001 ',
    });
    expect(config.storage).toEqual({
      kind: 'identity',
      blobServiceUri: 'https://acct.blob.core.windows.net',
      queueServiceUri: 'https://acct.queue.core.windows.net',
      clientId: '00000000-0000-0000-0000-000000000001',
      setting: 'DataStorage',
    });
    expect(isDevelopmentStorage(config.storage)).toBe(false);
    const hostIdentity = loadConfig({
      AzureWebJobsStorage__blobServiceUri: 'https://h.blob.core.windows.net',
      AzureWebJobsStorage__queueServiceUri: 'https://h.queue.core.windows.net',
    }).storage;
    expect(hostIdentity).toMatchObject({ kind: 'identity', setting: 'AzureWebJobsStorage' });
    expect(hostIdentity).not.toHaveProperty('clientId');
  });

  it('names the missing half of an identity connection', () => {
    expectRejected({ DataStorage__blobServiceUri: 'https://acct.blob.core.windows.net' }, 'DataStorage__queueServiceUri');
    expectRejected({ DataStorage__queueServiceUri: 'https://acct.queue.core.windows.net' }, 'DataStorage__blobServiceUri');
    expectRejected({ AzureWebJobsStorage__blobServiceUri: 'https://h.blob.core.windows.net' }, 'AzureWebJobsStorage__queueServiceUri');
  });
});

describe('loadConfig numbers', () => {
  it('accepts the bounds', () => {
    const config = loadConfig({ MAX_BLOB_BYTES: '1', MAX_INPUT_PIXELS: '1000000000', MODEL_TIMEOUT_MS: '1000', MODEL_MAX_RETRIES: '0' });
    expect([config.maxBlobBytes, config.maxInputPixels, config.model.timeoutMs, config.model.maxRetries]).toEqual([
      1, 1_000_000_000, 1_000, 0,
    ]);
  });

  it('names the variable of every number out of range or not a whole number', () => {
    const cases: [string, string][] = [
      ['MAX_BLOB_BYTES', '0'],
      ['MAX_BLOB_BYTES', String(512 * 1024 * 1024 + 1)],
      ['MAX_BLOB_BYTES', '20MB'],
      ['MAX_BLOB_BYTES', '-5'],
      ['MAX_BLOB_BYTES', '1.5'],
      ['MAX_BLOB_BYTES', '1e6'],
      ['MAX_INPUT_PIXELS', '1000000001'],
      ['MODEL_TIMEOUT_MS', '999'],
      ['MODEL_TIMEOUT_MS', '1800001'],
      ['MODEL_MAX_RETRIES', '11'],
      ['MODEL_MAX_RETRIES', 'two'],
      ['PRICE_INPUT_PER_MTOK', '-1'],
      ['PRICE_OUTPUT_PER_MTOK', 'cheap'],
      ['PRICE_OUTPUT_PER_MTOK', 'Infinity'],
    ];
    for (const [setting, value] of cases)
      expectRejected({ [setting]: value }, setting, value.startsWith('-') || /\D/.test(value) ? value : undefined);
    expect(configError({ MODEL_MAX_RETRIES: '11' }).message).toContain('0..10');
  });

  it('reads prices as overrides', () => {
    expect(loadConfig({ PRICE_INPUT_PER_MTOK: '2.5', PRICE_OUTPUT_PER_MTOK: '0' }).model.priceOverride).toEqual({
      inputPerMTok: 2.5,
      outputPerMTok: 0,
    });
  });
});

describe('loadConfig storage names', () => {
  it('names the variable of every invalid container or queue name', () => {
    const bad = ['Uploads', 'up', 'up--loads', '-uploads', 'uploads-', 'up_loads', 'up.loads', 'a'.repeat(64)];
    for (const setting of ['INPUT_CONTAINER', 'RESULTS_CONTAINER', 'STATE_CONTAINER', 'JOBS_QUEUE']) {
      for (const value of bad) expectRejected({ [setting]: value }, setting, `"${value}"`);
    }
  });

  it('keeps room for "-poison" in the jobs queue name', () => {
    expect(loadConfig({ JOBS_QUEUE: 'q'.repeat(56) }).names.poisonQueue).toBe(`${'q'.repeat(56)}-poison`);
    expectRejected({ JOBS_QUEUE: 'q'.repeat(57) }, 'JOBS_QUEUE');
    expect(loadConfig({ INPUT_CONTAINER: 'c'.repeat(63) }).names.inputContainer).toHaveLength(63);
  });
});

describe('loadConfig provider selection', () => {
  const azure = { AZURE_OPENAI_ENDPOINT: 'https://res.openai.azure.com/' };
  const openai = { OPENAI_API_KEY: 'sk-test' };

  it('chooses Azure OpenAI when an endpoint is set: gpt-5.1 on the v1 API, keyless unless a key is given', () => {
    expect(loadConfig(azure).provider).toEqual({
      kind: 'azure-openai',
      endpoint: 'https://res.openai.azure.com/',
      deployment: 'gpt-5.1',
    });
    expect(loadConfig(azure).model.visionModel).toBe('gpt-5.1');
    const keyed = loadConfig({
      ...azure,
      AZURE_OPENAI_API_KEY: 'k',
      AZURE_OPENAI_DEPLOYMENT: 'vision',
      AZURE_OPENAI_API_VERSION: '2025-01-01',
    });
    expect(keyed.provider).toEqual({
      kind: 'azure-openai',
      endpoint: azure.AZURE_OPENAI_ENDPOINT,
      deployment: 'vision',
      apiVersion: '2025-01-01',
      apiKey: 'k',
    });
    // The deployment is the model unless VISION_MODEL says which model it runs.
    expect(keyed.model.visionModel).toBe('vision');
    expect(loadConfig({ ...azure, AZURE_OPENAI_DEPLOYMENT: 'prod', VISION_MODEL: 'gpt-4o-mini' }).model.visionModel).toBe('gpt-4o-mini');
  });

  it('chooses OpenAI (or a compatible server) when only an API key is set', () => {
    expect(loadConfig(openai).provider).toEqual({ kind: 'openai', apiKey: 'sk-test', model: 'gpt-5.1' });
    const custom = loadConfig({ ...openai, OPENAI_BASE_URL: 'http://127.0.0.1:8080/v1', OPENAI_MODEL: 'llava' });
    expect(custom.provider).toEqual({ kind: 'openai', apiKey: 'sk-test', model: 'llava', baseUrl: 'http://127.0.0.1:8080/v1' });
    expect(custom.model.visionModel).toBe('llava');
  });

  it('shapes requests by family, and a name the table does not know by the endpoint', () => {
    expect(loadConfig(azure).model.request).toEqual({ shape: 'auto', unknownModelShape: 'reasoning', reasoningEffort: 'low' });
    expect(loadConfig(openai).model.request.unknownModelShape).toBe('reasoning');
    expect(loadConfig({ ...openai, OPENAI_BASE_URL: 'https://api.openai.com/v1' }).model.request.unknownModelShape).toBe('reasoning');
    // vLLM, Ollama and llama.cpp have long understood max_tokens and temperature.
    expect(loadConfig({ ...openai, OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' }).model.request.unknownModelShape).toBe('classic');
    expect(loadConfig({ ...azure, MODEL_REQUEST_SHAPE: 'classic' }).model.request.shape).toBe('classic');
    expect(configError({ ...azure, MODEL_REQUEST_SHAPE: 'fast' })).toMatchObject({ setting: 'MODEL_REQUEST_SHAPE' });
  });

  it('takes a reasoning effort the model accepts, and names the ones it does for any other', () => {
    expect(loadConfig({ ...azure, MODEL_REASONING_EFFORT: 'none' }).model.request.reasoningEffort).toBe('none');
    expect(loadConfig({ ...azure, VISION_MODEL: 'gpt-5-mini', MODEL_REASONING_EFFORT: 'minimal' }).model.request.reasoningEffort).toBe(
      'minimal',
    );
    const wrong = configError({ ...azure, MODEL_REASONING_EFFORT: 'minimal' });
    expect(wrong.setting).toBe('MODEL_REASONING_EFFORT');
    expect(wrong.message).toContain('gpt-5.1 accepts none, low, medium, high');
    expect(configError({ ...azure, MODEL_REASONING_EFFORT: 'turbo' }).setting).toBe('MODEL_REASONING_EFFORT');
    // A model the table does not know is sent what was configured.
    expect(loadConfig({ ...azure, AZURE_OPENAI_DEPLOYMENT: 'prod', MODEL_REASONING_EFFORT: 'xhigh' }).model.request.reasoningEffort).toBe(
      'xhigh',
    );
  });

  it("derives requests per minute from the model family's Azure ratio when only MODEL_TPM is set", () => {
    expect(loadConfig({ ...azure, MODEL_TPM: '100000' }).rateLimit.requestsPerMinute).toBe(1000);
    expect(loadConfig({ ...azure, VISION_MODEL: 'gpt-4o', MODEL_TPM: '100000' }).rateLimit.requestsPerMinute).toBe(600);
    expect(loadConfig({ ...azure, VISION_MODEL: 'gpt-5.4-mini', MODEL_TPM: '100000' }).rateLimit.requestsPerMinute).toBe(100);
    expect(loadConfig({ ...azure, MODEL_TPM: '100000', MODEL_RPM: '42' }).rateLimit.requestsPerMinute).toBe(42);
  });

  it('prefers Azure OpenAI when both are configured', () => {
    expect(loadConfig({ ...azure, ...openai }).provider.kind).toBe('azure-openai');
    expect(loadConfig({ ...azure, ...openai, VISION_PROVIDER: 'openai' }).provider.kind).toBe('azure-openai');
  });

  it('uses the offline provider when nothing is configured or when asked, whatever else is set', () => {
    expect(loadConfig({ VISION_PROVIDER: 'auto' }).provider).toEqual({ kind: 'offline' });
    expect(loadConfig({ ...azure, ...openai, VISION_PROVIDER: 'offline' }).provider).toEqual({ kind: 'offline' });
  });

  it('refuses "openai" without an endpoint or a key, naming VISION_PROVIDER and what to set', () => {
    const error = configError({ VISION_PROVIDER: 'openai' });
    expect(error.setting).toBe('VISION_PROVIDER');
    expect(error.message).toContain('AZURE_OPENAI_ENDPOINT');
    expect(error.message).toContain('OPENAI_API_KEY');
  });

  it('names VISION_PROVIDER for an unknown choice', () => {
    expectRejected({ VISION_PROVIDER: 'gemini' }, 'VISION_PROVIDER', '"gemini"');
    expectRejected({ VISION_PROVIDER: 'OpenAI' }, 'VISION_PROVIDER', '"OpenAI"');
  });

  it('names AZURE_OPENAI_ENDPOINT when it is not a URL', () => {
    for (const endpoint of ['res.openai.azure.com', 'ftp://res.openai.azure.com', 'https://', 'https://exa mple.com', 'not a url']) {
      expectRejected({ AZURE_OPENAI_ENDPOINT: endpoint }, 'AZURE_OPENAI_ENDPOINT', `"${endpoint}"`);
    }
  });

  it('names OPENAI_BASE_URL when it is not a URL', () => {
    for (const baseUrl of ['localhost:8080/v1', 'https://'])
      expectRejected({ ...openai, OPENAI_BASE_URL: baseUrl }, 'OPENAI_BASE_URL', `"${baseUrl}"`);
  });
});

describe('loadConfig log level', () => {
  it('accepts the four levels and names LOG_LEVEL for anything else', () => {
    for (const level of ['debug', 'info', 'warn', 'error'] as const) expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level);
    expectRejected({ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL', '"verbose"');
  });
});

describe('PROFILE_RULES', () => {
  it('parses comma-separated prefix=profile pairs in order, trimming each part and skipping empty ones', () => {
    expect(parseProfileRules('invoices/=invoice, receipts/ = receipt ,, scans/2024/=describe,', 'PROFILE_RULES')).toEqual([
      { prefix: 'invoices/', profile: 'invoice' },
      { prefix: 'receipts/', profile: 'receipt' },
      { prefix: 'scans/2024/', profile: 'describe' },
    ]);
    expect(parseProfileRules(' , ', 'PROFILE_RULES')).toEqual([]);
  });

  it('names PROFILE_RULES and quotes the malformed pair', () => {
    for (const part of ['invoices/', '=invoice', 'invoices/=', 'a=b=c']) {
      expect(() => parseProfileRules(`receipts/=receipt,${part}`, 'PROFILE_RULES')).toThrow(ConfigError);
      expect(() => parseProfileRules(`receipts/=receipt,${part}`, 'PROFILE_RULES')).toThrow(
        `PROFILE_RULES: expected "prefix=profile" pairs separated by commas, got "${part}"`,
      );
    }
  });

  it('is validated when the configuration loads', () => {
    expectRejected({ PROFILE_RULES: 'invoices/' }, 'PROFILE_RULES', '"invoices/"');
  });
});

describe('loadConfig failure handling', () => {
  it('defers rate-limited jobs up to 20 times and caches analyses unless told otherwise', () => {
    const config = loadConfig({});
    expect(config.maxRateLimitDeferrals).toBe(20);
    expect(config.resultCache).toBe(true);
  });

  it('reads MAX_RATE_LIMIT_DEFERRALS (0 records at once) and RESULT_CACHE on/off in any case', () => {
    expect(loadConfig({ MAX_RATE_LIMIT_DEFERRALS: '0' }).maxRateLimitDeferrals).toBe(0);
    expect(loadConfig({ MAX_RATE_LIMIT_DEFERRALS: '1000' }).maxRateLimitDeferrals).toBe(1000);
    expect(loadConfig({ RESULT_CACHE: ' OFF ' }).resultCache).toBe(false);
    expect(loadConfig({ RESULT_CACHE: 'on' }).resultCache).toBe(true);
  });

  it('names the variable of a deferral cap out of range or a cache switch that is not on or off', () => {
    expectRejected({ MAX_RATE_LIMIT_DEFERRALS: '1001' }, 'MAX_RATE_LIMIT_DEFERRALS');
    expectRejected({ MAX_RATE_LIMIT_DEFERRALS: 'many' }, 'MAX_RATE_LIMIT_DEFERRALS', 'many');
    expectRejected({ RESULT_CACHE: 'false' }, 'RESULT_CACHE', 'expected on or off, got "false"');
  });
});

describe('loadConfig OCR grounding', () => {
  it('is off by default, on for every profile, or on for the profiles named', () => {
    expect(loadConfig({}).ocrGrounding).toEqual([]);
    expect(groundsWithOcr(loadConfig({}), 'invoice')).toBe(false);
    expect(groundsWithOcr(loadConfig({ OCR_GROUNDING: 'OFF' }), 'invoice')).toBe(false);
    const all = loadConfig({ OCR_GROUNDING: 'on' });
    expect(groundsWithOcr(all, 'invoice')).toBe(true);
    expect(groundsWithOcr(all, 'chart')).toBe(true);
    const some = loadConfig({ OCR_GROUNDING: ' invoice , receipt ' });
    expect(groundsWithOcr(some, 'receipt')).toBe(true);
    expect(groundsWithOcr(some, 'describe')).toBe(false);
  });

  it('names the unknown profile and the profiles there are', () => {
    expectRejected({ OCR_GROUNDING: 'invoice,invoices' }, 'OCR_GROUNDING', 'unknown profile "invoices"');
    expectRejected({ OCR_GROUNDING: 'yes' }, 'OCR_GROUNDING', 'describe, invoice, receipt');
  });
});

describe('loadConfig document limits', () => {
  it('defaults to 20 pages, 20 MP a page, 10 images a request and 100k tokens a document, with the PDF bounds and render children', () => {
    expect(loadConfig({}).documents).toEqual({
      maxPages: 20,
      maxPagePixels: 20_000_000,
      maxImagesPerRequest: 10,
      tokenBudget: 100_000,
      pdf: {
        maxPageOperators: 50_000,
        maxPageImagePixels: 40_000_000,
        maxDocumentImagePixels: 200_000_000,
        maxPageTextChars: 50_000,
        maxDocumentTextChars: 300_000,
      },
      render: { workers: 2, timeoutMs: 20_000, maxMemoryMb: 1024 },
    });
  });

  it('reads each from its setting', () => {
    const env = {
      MAX_PAGES: '200',
      MAX_PAGE_PIXELS: '8000000',
      MAX_IMAGES_PER_REQUEST: ' 1 ',
      DOCUMENT_TOKEN_BUDGET: '250000',
      MAX_PDF_PAGE_OPERATORS: '1000',
      MAX_PDF_PAGE_IMAGE_PIXELS: '20000',
      MAX_PDF_IMAGE_PIXELS: '30000',
      MAX_PDF_PAGE_TEXT_CHARS: '400',
      MAX_PDF_TEXT_CHARS: '500',
      RENDER_WORKERS: '4',
      RENDER_TIMEOUT_MS: '5000',
      RENDER_MAX_MEMORY_MB: '256',
    };
    expect(loadConfig(env).documents).toEqual({
      maxPages: 200,
      maxPagePixels: 8_000_000,
      maxImagesPerRequest: 1,
      tokenBudget: 250_000,
      pdf: {
        maxPageOperators: 1000,
        maxPageImagePixels: 20_000,
        maxDocumentImagePixels: 30_000,
        maxPageTextChars: 400,
        maxDocumentTextChars: 500,
      },
      render: { workers: 4, timeoutMs: 5000, maxMemoryMb: 256 },
    });
  });

  it.each([
    ['MAX_PAGES', '0'],
    ['MAX_PAGE_PIXELS', 'lots'],
    ['MAX_IMAGES_PER_REQUEST', '51'],
    ['DOCUMENT_TOKEN_BUDGET', '-5'],
    ['MAX_PDF_PAGE_OPERATORS', '10'],
    ['RENDER_WORKERS', '0'],
    ['RENDER_TIMEOUT_MS', 'soon'],
    ['RENDER_MAX_MEMORY_MB', '64'],
  ])('rejects %s=%s, naming the setting', (setting, value) => {
    expectRejected({ [setting]: value }, setting, value);
  });
});
