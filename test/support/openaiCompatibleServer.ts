/**
 * A small OpenAI-compatible HTTP server for tests: Azure OpenAI's v1 and dated paths and the plain `/v1`
 * path of chat completions, a log of every request, and replies chosen by a programmable handler or
 * scripted one at a time. It enforces today's model rules (chatRules.ts): a reasoning model answers 400
 * to `max_tokens` or a non-default `temperature`, thinks before it answers, and runs out of budget the way
 * the service does. Credentials are checked but never recorded.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AZURE_PATH, acceptRoute, errorBody, routeOf, sendJson, serveLoopback, type Route, type Wait } from './chatEndpoint.js';
import { BadRequest, CHARS_PER_TOKEN, measure, reasoningTokensFor, ruleViolation, type ChatBody } from './chatRules.js';

export type FinishReason = 'stop' | 'length' | 'content_filter';

export type Reply =
  /** A raw HTTP answer (errors, malformed bodies). */
  | { status: number; headers?: Record<string, string>; body?: unknown }
  /** A 200 chat completion; `content` defaults to the schema answer (null when filtered or refused). */
  | {
      content?: string | null;
      finishReason?: FinishReason;
      refusal?: string;
      /** Azure's per-choice `content_filter_results`; a filtered default is sent with `content_filter`. */
      contentFilterResults?: Record<string, unknown>;
      /** Tokens the model thinks for (reasoning models); defaults to what chatRules.ts gives the effort sent. */
      reasoningTokens?: number;
      headers?: Record<string, string>;
    }
  /** Waits, then sends `then` (the handler's answer when omitted). */
  | { delayMs: number; then?: Reply }
  /** Never answers (`headers`), or sends 200 headers and the start of a body, then stalls (`body`). */
  | { hang: 'headers' | 'body' };

export interface RecordedRequest {
  method: string;
  path: string;
  route: Route | undefined;
  query: Record<string, string>;
  /** Lower-case names; the values of `authorization` and `api-key` are replaced by `[redacted]`. */
  headers: Record<string, string>;
  /** How the client authenticated, never with what. */
  auth: 'api-key' | 'bearer' | 'none';
  /** The Azure deployment: in the path on the dated API, the body's `model` on v1; undefined on OpenAI's `/v1`. */
  deployment: string | undefined;
  /** The parsed JSON body (undefined when the body was not JSON). */
  body: unknown;
  /** `performance.now()` on arrival: the gaps between entries show the client's retry delays. */
  receivedAt: number;
}

export type Handler = (request: RecordedRequest) => Reply | Promise<Reply>;

export interface ServerOptions {
  /** Credentials accepted in `api-key` or `Authorization: Bearer`; omitted means any non-empty one. */
  acceptedCredentials?: readonly string[];
  /** The model behind Azure's deployments, reported in `model` and whose rules apply; OpenAI's `/v1` serves the requested model. */
  model?: string;
  /** Models of named Azure deployments that do not serve `model`. */
  deployments?: Record<string, string>;
  /** Bills image tokens at this multiple of the published formula (measured billing departs from it for some families). */
  imageBillingFactor?: number;
  /** The budget behind the `x-ratelimit-remaining-*` headers; nothing enforces or refills it yet. */
  limits?: { requests: number; tokens: number };
}

export interface OpenAiCompatibleServer {
  /** `http://127.0.0.1:<port>`: the Azure `endpoint`. */
  url: string;
  /** `<url>/v1`: the OpenAI `baseURL`. */
  v1BaseUrl: string;
  requests: RecordedRequest[];
  /** Queues scripted replies, used one per request before the handler. */
  reply(...replies: Reply[]): void;
  /** Replaces the handler that answers when no scripted reply is queued. */
  setHandler(handler: Handler): void;
  close(): Promise<void>;
}

const DEFAULT_MODEL = 'gpt-5.1-2025-11-13';
/** Azure's filter verdict when the completion itself was filtered. */
const FILTERED_COMPLETION = {
  hate: { filtered: false, severity: 'safe' },
  self_harm: { filtered: false, severity: 'safe' },
  sexual: { filtered: false, severity: 'safe' },
  violence: { filtered: true, severity: 'medium' },
};

/** Minimal JSON that satisfies a JSON Schema of the subset strict structured outputs allow. */
export function exampleFor(schema: unknown, root: unknown = schema): unknown {
  if (typeof schema !== 'object' || schema === null) return null;
  const s = schema as Record<string, unknown>;
  if (typeof s.$ref === 'string') return exampleFor(resolveRef(root, s.$ref), root);
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum)) return s.enum.find((value) => value !== null) ?? s.enum[0];
  const branches = Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : undefined;
  if (branches !== undefined) {
    const branch = branches.find((b) => (b as Record<string, unknown> | null)?.type !== 'null') ?? branches[0];
    return exampleFor(branch, root);
  }
  const type = Array.isArray(s.type) ? (s.type.find((t) => t !== 'null') ?? 'null') : s.type;
  switch (type) {
    case 'object': {
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, exampleFor(value, root)]));
    }
    case 'array':
      return s.maxItems === 0 ? [] : [exampleFor(s.items, root)];
    case 'string':
      return 'example';
    case 'number':
    case 'integer':
      return typeof s.minimum === 'number' && s.minimum > 1 ? s.minimum : typeof s.maximum === 'number' && s.maximum < 1 ? s.maximum : 1;
    case 'boolean':
      return true;
    default:
      return null;
  }
}

function resolveRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`exampleFor: only local $ref is supported, got "${ref}"`);
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], root);
}

/** A schema-valid answer for the requested `json_schema`, or a short text when none was requested. */
function schemaContent(request: RecordedRequest): string {
  const schema = (request.body as ChatBody | undefined)?.response_format?.json_schema?.schema;
  return schema === undefined ? 'example' : JSON.stringify(exampleFor(schema));
}

/** The default handler. */
export const schemaAnswer: Handler = (request) => ({ content: schemaContent(request) });

function redactHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [
      name,
      name === 'authorization' || name === 'api-key' ? '[redacted]' : Array.isArray(value) ? value.join(', ') : (value ?? ''),
    ]),
  );
}

function credentialOf(req: IncomingMessage, azure: boolean): { auth: RecordedRequest['auth']; credential: string } {
  const apiKey = req.headers['api-key'];
  if (azure && typeof apiKey === 'string' && apiKey !== '') return { auth: 'api-key', credential: apiKey };
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  return bearer === undefined ? { auth: 'none', credential: '' } : { auth: 'bearer', credential: bearer };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Azure OpenAI's answer to a prompt its content filter refused: 400 `content_filter` with the verdicts per category. */
export function promptFiltered(verdicts: Record<string, unknown>): Reply {
  return {
    status: 400,
    body: {
      error: {
        message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
        type: null,
        param: 'prompt',
        code: 'content_filter',
        status: 400,
        innererror: { code: 'ResponsibleAIPolicyViolation', content_filter_result: verdicts },
      },
    },
  };
}

export interface CompletionParts {
  id: string;
  model: string;
  content: string | null;
  refusal?: string | null;
  finishReason: FinishReason;
  /** Azure's per-choice filter verdicts. */
  filterResults?: Record<string, unknown> | undefined;
  promptTokens: number;
  /** Reasoning included. */
  completionTokens: number;
  reasoningTokens?: number;
}

/** A chat completion body as the service sends it, with one choice. */
export function chatCompletion(parts: CompletionParts): Record<string, unknown> {
  return {
    id: parts.id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: parts.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: parts.content, refusal: parts.refusal ?? null },
        logprobs: null,
        finish_reason: parts.finishReason,
        ...(parts.filterResults === undefined ? {} : { content_filter_results: parts.filterResults }),
      },
    ],
    usage: {
      prompt_tokens: parts.promptTokens,
      completion_tokens: parts.completionTokens,
      total_tokens: parts.promptTokens + parts.completionTokens,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: parts.reasoningTokens ?? 0 },
    },
  };
}

/**
 * The settings that point the worker at a server as the Azure OpenAI deployment `vision` of gpt-5.1 on
 * the v1 API, with the SDK's own retries off so that every request a test sees is one the worker chose to send.
 */
export function deploymentEnv(url: string): Record<string, string> {
  return {
    AZURE_OPENAI_ENDPOINT: url,
    AZURE_OPENAI_API_KEY: 'test-key',
    AZURE_OPENAI_DEPLOYMENT: 'vision',
    VISION_MODEL: 'gpt-5.1',
    MODEL_MAX_RETRIES: '0',
  };
}

export async function startOpenAiCompatibleServer(options: ServerOptions = {}): Promise<OpenAiCompatibleServer> {
  const model = options.model ?? DEFAULT_MODEL;
  const budget = { ...(options.limits ?? { requests: 10_000, tokens: 10_000_000 }) };
  const requests: RecordedRequest[] = [];
  const script: Reply[] = [];
  let handler: Handler = schemaAnswer;
  let sequence = 0;

  const send = async (reply: Reply, request: RecordedRequest, res: ServerResponse, wait: Wait): Promise<void> => {
    if ('hang' in reply) {
      if (reply.hang === 'body') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"id":"chatcmpl-stalled",');
      }
      return;
    }
    if ('delayMs' in reply) {
      await wait(reply.delayMs, res);
      return send(reply.then ?? (await handler(request)), request, res, wait);
    }
    if ('status' in reply) return sendJson(res, reply.status, reply.body, reply.headers);

    const body = (request.body ?? {}) as ChatBody;
    const served = servedModel(request);
    const withheld = reply.finishReason === 'content_filter' || reply.refusal !== undefined;
    let finishReason = reply.finishReason ?? 'stop';
    let content = reply.content !== undefined ? reply.content : withheld ? null : schemaContent(request);
    const measured = await measure(body, served, options.imageBillingFactor);
    const reasoning = reply.reasoningTokens ?? reasoningTokensFor(served, body);
    let answerTokens = Math.ceil((content ?? reply.refusal ?? '').length / CHARS_PER_TOKEN);
    // Thinking comes first: a budget it uses up leaves the answer cut short or empty, as the service does.
    if (measured.maxTokens !== undefined && reasoning + answerTokens > measured.maxTokens) {
      const room = Math.max(0, measured.maxTokens - reasoning);
      content = (content ?? '').slice(0, room * CHARS_PER_TOKEN);
      answerTokens = room;
      finishReason = 'length';
    }
    const usage = {
      prompt_tokens: measured.promptTokens,
      completion_tokens: Math.min(reasoning, measured.maxTokens ?? reasoning) + answerTokens,
    };
    budget.requests = Math.max(0, budget.requests - 1);
    budget.tokens = Math.max(0, budget.tokens - usage.prompt_tokens - usage.completion_tokens);
    const filterResults = reply.contentFilterResults ?? (finishReason === 'content_filter' ? FILTERED_COMPLETION : undefined);
    sequence += 1;
    sendJson(
      res,
      200,
      chatCompletion({
        id: `chatcmpl-test-${sequence}`,
        model: served,
        content,
        refusal: reply.refusal ?? null,
        finishReason,
        filterResults,
        promptTokens: usage.prompt_tokens,
        completionTokens: usage.completion_tokens,
        reasoningTokens: Math.min(reasoning, usage.completion_tokens),
      }),
      {
        'x-request-id': `req-${sequence}`,
        'x-ratelimit-remaining-requests': String(budget.requests),
        'x-ratelimit-remaining-tokens': String(budget.tokens),
        ...reply.headers,
      },
    );
  };

  /** Azure serves its deployment's model whatever the body names; OpenAI serves the requested one. */
  const servedModel = (request: RecordedRequest): string =>
    request.route === 'openai'
      ? ((request.body as ChatBody | undefined)?.model ?? model)
      : ((request.deployment === undefined ? undefined : options.deployments?.[request.deployment]) ?? model);

  const handle = async (req: IncomingMessage, res: ServerResponse, wait: Wait): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = routeOf(url.pathname);
    const azure = route === 'azure-dated' || route === 'azure-v1';
    const { auth, credential } = credentialOf(req, azure);
    const body = await readBody(req);
    const pathDeployment = AZURE_PATH.exec(url.pathname)?.[1];
    const bodyModel = (body as ChatBody | undefined)?.model;
    const request: RecordedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      route,
      query: Object.fromEntries(url.searchParams),
      headers: redactHeaders(req.headers),
      auth,
      deployment: pathDeployment !== undefined ? decodeURIComponent(pathDeployment) : route === 'azure-v1' ? bodyModel : undefined,
      body,
      receivedAt: performance.now(),
    };
    requests.push(request);

    if (!acceptRoute(req, url, res)) return;
    const accepted = options.acceptedCredentials;
    if (credential === '' || (accepted !== undefined && !accepted.includes(credential))) {
      return sendJson(res, 401, errorBody('invalid credentials for this endpoint', azure ? '401' : 'invalid_api_key'));
    }
    if (request.body === undefined) return sendJson(res, 400, errorBody('the body is not JSON', 'invalid_json'));
    const broken = ruleViolation(servedModel(request), request.body as ChatBody);
    if (broken !== undefined) return sendJson(res, broken.status, broken.body);
    try {
      await send(script.shift() ?? (await handler(request)), request, res, wait);
    } catch (error) {
      if (!(error instanceof BadRequest)) throw error;
      sendJson(res, 400, errorBody(error.message, 'invalid_image'));
    }
  };
  const loopback = await serveLoopback(handle, 'test server failed');
  const { url } = loopback;

  return {
    url,
    v1BaseUrl: `${url}/v1`,
    requests,
    reply: (...replies) => void script.push(...replies),
    setHandler: (next) => {
      handler = next;
    },
    close: loopback.close,
  };
}
