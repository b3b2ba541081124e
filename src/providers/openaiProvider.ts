/**
 * The vision provider for Azure OpenAI and any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM,
 * llama.cpp): one chat completion with the images inline and a strict JSON Schema as response format.
 */
import { DefaultAzureCredential, getBearerTokenProvider, type TokenCredential } from '@azure/identity';
import { APIConnectionError, APIConnectionTimeoutError, APIError, AzureOpenAI, OpenAI, OpenAIError, type ClientOptions } from 'openai';
import type {
  ChatCompletion,
  ChatCompletionContentPart,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type { ModelSettings, ProviderSettings } from '../config.js';
import { PermanentError, TransientError, asWorkerError, type WorkerError } from '../errors.js';
import { planFor, type RequestPlan } from '../models/requestShape.js';
import { SETTINGS } from '../names.js';
import { abortedError } from './aborted.js';
import { retryAfterMs } from './retryAfter.js';
import type { AnalysisRequest, AnalysisResponse, Usage, VisionProvider } from './types.js';

/** The Entra scopes Microsoft's samples use for the v1 API and for the dated API (docs/models.md). */
export const AZURE_V1_SCOPE = 'https://ai.azure.com/.default';
export const AZURE_DATED_API_SCOPE = 'https://cognitiveservices.azure.com/.default';
const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/**
 * The longest server-directed wait the SDK may sleep in-process (its own backoff ceiling: its sleep
 * ignores the abort signal); a longer one goes back to the queue as `retryAfterMs`.
 */
export const MAX_RETRY_WAIT_MS = 8_000;

/** Upper bound of one `analyze` call (defaults: 120 s x 3 + 2 x 8 s = 376 s), which the function timeout must exceed. */
export function worstCaseCallMs(model: Pick<ModelSettings, 'timeoutMs' | 'maxRetries'>): number {
  return model.timeoutMs * (model.maxRetries + 1) + model.maxRetries * MAX_RETRY_WAIT_MS;
}

export interface OpenAiProviderOptions {
  /** Azure keyless sign-in; defaults to DefaultAzureCredential. Unused when an API key is set. */
  credential?: TokenCredential;
  fetch?: ClientOptions['fetch'];
}

type ApiSettings = Exclude<ProviderSettings, { kind: 'offline' }>;
type Fetch = NonNullable<ClientOptions['fetch']>;

export function createOpenAiProvider(settings: ApiSettings, model: ModelSettings, options: OpenAiProviderOptions = {}): VisionProvider {
  /** The latest Entra token, kept only so that it can be redacted from the service's messages. */
  let bearer: string | undefined;
  const common = {
    maxRetries: model.maxRetries,
    timeout: model.timeoutMs,
    fetch: boundedFetch(options.fetch ?? globalThis.fetch, model.timeoutMs),
  };
  const client = createClient(settings, common, options.credential, (token) => (bearer = token));
  const modelName = settings.kind === 'azure-openai' ? settings.deployment : settings.model;
  const redact = (text: string): string =>
    [settings.apiKey, bearer].reduce<string>((out, secret) => (secret === undefined ? out : out.split(secret).join('[redacted]')), text);

  return {
    name: 'openai',
    async analyze(request: AnalysisRequest): Promise<AnalysisResponse> {
      const { profile, signal } = request;
      const requested = profile.model ?? modelName;
      // The rules follow the model behind the deployment (VISION_MODEL), not the deployment's name.
      const { plan, budget } = planFor(request, model.visionModel, model.request);
      const body: ChatCompletionCreateParamsNonStreaming = {
        model: requested,
        messages: messagesFor(request),
        response_format: { type: 'json_schema', json_schema: { name: schemaName(profile.name), schema: profile.jsonSchema, strict: true } },
        ...shapedParameters(plan, budget),
      };
      let completion: ChatCompletion & { _request_id?: string | null };
      try {
        completion = await client.chat.completions.create(body, signal === undefined ? {} : { signal });
      } catch (error) {
        throw failureOf({ error }, { redact, signal, model });
      }
      const failure = failureOf({ completion }, { redact, signal, model });
      if (failure !== undefined) throw failure;

      const choice = completion.choices[0];
      const rawText = choice?.message.content ?? '';
      const data = parseJson(rawText);
      const warnings: string[] = [];
      if (choice === undefined) warnings.push('the response carried no choices');
      const truncated = choice?.finish_reason === 'length';
      if (truncated && data !== undefined)
        warnings.push(`the answer reached the completion budget (${budget} tokens) but is complete JSON`);
      const requestId = completion._request_id;
      return {
        data,
        rawText,
        model: completion.model || requested,
        usage: usageOf(completion),
        warnings,
        ...(truncated && data === undefined ? { truncatedAt: budget } : {}),
        info: {
          api: apiName(settings),
          requestShape: plan.shape,
          ...(plan.shape === 'reasoning' ? { reasoningEffort: plan.effort } : {}),
          ...(typeof requestId === 'string' ? { requestId } : {}),
        },
      };
    },
    close: async () => undefined,
  };
}

type Common = Pick<ClientOptions, 'maxRetries' | 'timeout' | 'fetch'>;

/**
 * Azure's v1 API by default: the plain client on `<endpoint>/openai/v1`, the deployment as `model`.
 * AZURE_OPENAI_API_VERSION selects the dated API instead. Keys go in `api-key`, Entra tokens as Bearer.
 */
function createClient(
  settings: ApiSettings,
  common: Common,
  credential: TokenCredential | undefined,
  onToken: (token: string) => void,
): OpenAI {
  if (settings.kind === 'openai') {
    return new OpenAI({ apiKey: settings.apiKey, baseURL: settings.baseUrl ?? OPENAI_BASE_URL, ...common });
  }
  const endpoint = settings.endpoint.replace(/\/+$/, '');
  const signIn = (scope: string): (() => Promise<string>) => {
    const token = getBearerTokenProvider(credential ?? new DefaultAzureCredential(), scope);
    return async () => {
      const value = await token();
      onToken(value);
      return value;
    };
  };
  if (settings.apiVersion === undefined) {
    // The SDK sends its apiKey as Bearer; a key goes in `api-key` instead, the Bearer header removed.
    const auth =
      settings.apiKey === undefined
        ? { apiKey: signIn(AZURE_V1_SCOPE) }
        : { apiKey: settings.apiKey, defaultHeaders: { 'api-key': settings.apiKey, Authorization: null } };
    return new OpenAI({ baseURL: `${endpoint}/openai/v1`, ...auth, ...common });
  }
  return new AzureOpenAI({
    // The base URL rather than `endpoint`: the SDK would otherwise also read OPENAI_BASE_URL from the environment.
    baseURL: `${endpoint}/openai`,
    // No fixed `deployment`: the SDK then takes the deployment from each request's `model`, which lets a
    // profile name its own.
    apiVersion: settings.apiVersion,
    ...(settings.apiKey === undefined ? { azureADTokenProvider: signIn(AZURE_DATED_API_SCOPE) } : { apiKey: settings.apiKey }),
    ...common,
  });
}

const apiName = (settings: ApiSettings): string =>
  settings.kind === 'openai' ? 'openai' : settings.apiVersion === undefined ? 'azure-openai-v1' : `azure-openai-${settings.apiVersion}`;

/** Reasoning models take `max_completion_tokens` and an effort, and answer 400 to `temperature` or `max_tokens`. */
function shapedParameters(plan: RequestPlan, budget: number): Partial<ChatCompletionCreateParamsNonStreaming> {
  return plan.shape === 'classic'
    ? { max_tokens: budget, temperature: 0 }
    : { max_completion_tokens: budget, reasoning_effort: plan.effort };
}

function usageOf({ usage }: ChatCompletion): Usage {
  return {
    promptTokens: usage?.prompt_tokens ?? null,
    completionTokens: usage?.completion_tokens ?? null,
    reasoningTokens: usage?.completion_tokens_details?.reasoning_tokens ?? null,
    cachedPromptTokens: usage?.prompt_tokens_details?.cached_tokens ?? null,
  };
}

/** The instructions, then each image; several images are each introduced by name so that the answer can refer to them. */
function userContent({ profile, images, grounding }: AnalysisRequest): ChatCompletionContentPart[] {
  return [
    { type: 'text', text: profile.user },
    ...(grounding === undefined ? [] : [{ type: 'text' as const, text: grounding }]),
    ...images.flatMap(({ name, image }, index): ChatCompletionContentPart[] => [
      ...(images.length > 1 ? [{ type: 'text' as const, text: `Image ${index + 1}: ${name}` }] : []),
      { type: 'image_url', image_url: { url: `data:${image.mime};base64,${image.bytes.toString('base64')}`, detail: image.detail } },
    ]),
  ];
}

/** What the repair turn tells the model after its answer failed validation. */
export function repairInstruction(issues: readonly string[]): string {
  return [
    'Your answer does not match the required JSON schema:',
    ...issues.map((issue) => `- ${issue}`),
    'Answer again with the complete, corrected JSON object only.',
  ].join('\n');
}

/** A repair resends the whole conversation (images included) with the failed answer and what is wrong with it. */
function messagesFor(request: AnalysisRequest): ChatCompletionMessageParam[] {
  const messages: ChatCompletionMessageParam[] = [
    { role: 'system', content: request.profile.system },
    { role: 'user', content: userContent(request) },
  ];
  if (request.repair !== undefined) {
    messages.push(
      { role: 'assistant', content: request.repair.rawText },
      { role: 'user', content: repairInstruction(request.repair.issues) },
    );
  }
  return messages;
}

/** `response_format.json_schema.name` allows [a-zA-Z0-9_-], at most 64 characters. */
function schemaName(profileName: string): string {
  return profileName.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) || 'result';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * One attempt's deadline covers the body too (the SDK clears its timer at the headers), and a
 * retry-after beyond MAX_RETRY_WAIT_MS tells the SDK not to retry (`x-should-retry`).
 */
function boundedFetch(inner: Fetch, timeoutMs: number): Fetch {
  return async (input, init) => {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline.signal]) : deadline.signal;
    try {
      const response = await inner(input, { ...init, signal });
      const headers = new Headers(response.headers);
      const wait = response.ok ? undefined : retryAfterMs(headers);
      if (wait !== undefined) {
        // The SDK sleeps what these headers say, but reads retry-after when retry-after-ms is 0: it gets this reading alone.
        headers.set('retry-after-ms', String(wait));
        headers.delete('retry-after');
        if (wait > MAX_RETRY_WAIT_MS) headers.set('x-should-retry', 'false');
      }
      const body = NULL_BODY_STATUSES.has(response.status) ? null : await response.arrayBuffer();
      return new Response(body, { status: response.status, statusText: response.statusText, headers });
    } finally {
      clearTimeout(timer);
    }
  };
}

const NULL_BODY_STATUSES = new Set([204, 205, 304]);

/** Azure's filter verdicts (`{ hate: { filtered, severity }, jailbreak: { filtered, detected }, ... }`): the names that were filtered. */
function filteredCategories(results: unknown): string[] {
  if (typeof results !== 'object' || results === null) return [];
  return Object.entries(results)
    .filter(([, verdict]) => (verdict as { filtered?: unknown } | null)?.filtered === true)
    .map(([name]) => name);
}

interface FailureContext {
  redact: (text: string) => string;
  signal: AbortSignal | undefined;
  model: ModelSettings;
}

type Outcome = { error: unknown } | { completion: ChatCompletion };

/**
 * The one place that turns what the model service said into the project's error kinds (an answer only
 * when filtered or refused), its text kept with every known key and token redacted.
 */
function failureOf(outcome: { error: unknown }, context: FailureContext): WorkerError;
function failureOf(outcome: { completion: ChatCompletion }, context: FailureContext): WorkerError | undefined;
function failureOf(outcome: Outcome, { redact, signal, model }: FailureContext): WorkerError | undefined {
  if ('completion' in outcome) {
    const choice = outcome.completion.choices[0];
    if (choice?.finish_reason === 'content_filter') {
      // Azure adds the verdicts to the choice; OpenAI-compatible servers may not.
      const categories = filteredCategories((choice as { content_filter_results?: unknown }).content_filter_results);
      const named = categories.join(', ') || 'no categories given';
      return new PermanentError('content_filtered', `the model's answer was withheld by the content filter (${named})`, {
        details: { categories, stage: 'completion' },
      });
    }
    const refusal = choice?.message.refusal;
    if (typeof refusal === 'string' && refusal !== '') {
      return new PermanentError('content_filtered', `the model refused: ${refusal}`, { details: { categories: [], refusal } });
    }
    return undefined;
  }

  const { error } = outcome;
  if (signal?.aborted) {
    return abortedError(
      signal,
      { timedOut: "the job's time budget ran out before the model answered", cancelled: 'the model call was cancelled by the caller' },
      error,
    );
  }
  if (error instanceof APIConnectionTimeoutError) {
    const attempts = model.maxRetries + 1;
    return new TransientError('timeout', `the model did not answer within ${model.timeoutMs} ms per attempt (up to ${attempts} attempts)`, {
      cause: error,
      details: { timeoutMs: model.timeoutMs, attempts },
    });
  }
  if (error instanceof APIConnectionError) {
    // fetch reports "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, ...) is further down the cause chain.
    let reason: Error = error;
    while (reason.cause instanceof Error) reason = reason.cause;
    return new TransientError('model_unavailable', redact(`could not reach the model endpoint: ${reason.message}`), {
      cause: error,
    });
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const { status } = error;
    const apiMessage = redact(error.message);
    if (status === 429) {
      const wait = retryAfterMs(error.headers);
      return new TransientError('rate_limited', `the model endpoint is rate limiting: ${apiMessage}`, {
        cause: error,
        details: { status, ...(wait === undefined ? {} : { retryAfterMs: Math.round(wait) }) },
      });
    }
    if (status === 401 || status === 403 || status === 404) {
      // No cause: the SDK error's message echoes what the server said about the credential.
      return new TransientError(
        'model_auth',
        `the model endpoint refused the call (${apiMessage}): fix the endpoint, deployment or credentials, then replay`,
        {
          details: { status },
        },
      );
    }
    if (status === 400 && error.code === 'content_filter') {
      const body = error.error as { innererror?: { content_filter_result?: unknown } } | undefined;
      const categories = filteredCategories(body?.innererror?.content_filter_result);
      return new PermanentError('content_filtered', `the request was blocked by the content filter: ${apiMessage}`, {
        cause: error,
        details: { status, categories, stage: 'prompt' },
      });
    }
    if (status === 408) {
      return new TransientError('timeout', `the model endpoint timed out: ${apiMessage}`, { cause: error, details: { status } });
    }
    if (status >= 500 || status === 409) {
      return new TransientError('model_unavailable', `the model endpoint failed: ${apiMessage}`, { cause: error, details: { status } });
    }
    // A request shape the model does not take (max_tokens, temperature): the settings, not the file, are wrong.
    const shapeHint =
      error.code === 'unsupported_parameter' || error.code === 'unsupported_value'
        ? ` (set ${SETTINGS.visionModel} to the model behind the deployment, or ${SETTINGS.modelRequestShape})`
        : '';
    return new PermanentError('model_rejected', `the model endpoint rejected the request: ${apiMessage}${shapeHint}`, {
      cause: error,
      details: {
        status,
        ...(typeof error.code === 'string' ? { code: error.code } : {}),
        ...(typeof error.param === 'string' ? { param: error.param } : {}),
      },
    });
  }
  if (error instanceof OpenAIError) {
    // Raised before any request, e.g. when the credential cannot produce a token.
    return new TransientError('model_auth', redact(`could not authenticate to the model endpoint: ${error.message}`));
  }
  return asWorkerError(error);
}
