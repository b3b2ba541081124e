/**
 * An OpenAI-compatible chat completions server under load, for tests and `npm run bench`: it enforces a
 * deployment's quota the way Azure OpenAI documents it and answers after a realistic delay.
 *
 * - Each request is charged on arrival its estimated maximum: prompt tokens (text ~4 characters a token,
 *   images from their decoded size and detail through the worker's own formula table, the
 *   response_format schema as text) plus `max_tokens` / `max_completion_tokens`. A refused request is not
 *   charged, nor one that breaks the model's request rules (a 400, see chatRules.ts).
 * - TPM and RPM (`rpmPer1000Tpm` per 1000 TPM unless set) are enforced over a sliding window of `windowMs` holding
 *   `limit x windowMs / 60 s`, so a burst is refused even under the per-minute figure. A request larger
 *   than a whole window is admitted into an empty one (it could never run otherwise).
 * - A refusal is a 429 with `retry-after` (whole seconds) and `retry-after-ms`: when the request would fit.
 *   Every answer carries `x-ratelimit-remaining-requests` / `-tokens`: what the window still admits.
 * - A success arrives after base + per-output-token time (reasoning tokens included), times a seeded
 *   jitter, with a schema-valid answer for the requested json_schema and its usage.
 *
 * "Arrival" is when the body has been read: bodies are read and measured a few at a time, as an ingress
 * would, so that a client posting hundreds of multi-megabyte images at once cannot exhaust this process.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { acceptRoute, errorBody, sendJson, serveLoopback, type Wait } from './chatEndpoint.js';
import { BadRequest, CHARS_PER_TOKEN, measure, reasoningTokensFor, ruleViolation, type ChatBody, type Measured } from './chatRules.js';
import { chatCompletion } from './openaiCompatibleServer.js';
import { createRandom } from '../../eval/random.js';

export interface LatencyModel {
  baseMs: number;
  perOutputTokenMs: number;
  /** Each delay is multiplied by a factor drawn uniformly from [1 - jitter, 1 + jitter]. */
  jitter: number;
}

export interface LoadSimulatorOptions {
  tokensPerMinute: number;
  /** Defaults to `rpmPer1000Tpm` per 1000 TPM. */
  requestsPerMinute?: number;
  /** The enforcement window; Azure evaluates over 1 or 10 s. */
  windowMs?: number;
  latency?: LatencyModel;
  /** Seeds the jitter, so a run can be repeated. */
  seed?: number;
  /** The model behind the deployment: its image-token formula, its request rules and its thinking (chatRules.ts). */
  model?: string;
  /** Azure's requests per minute per 1000 TPM for the model (6 for gpt-4o, 10 for gpt-5.1); used when requestsPerMinute is unset. */
  rpmPer1000Tpm?: number;
  /** Bodies read and measured at once. */
  ingestConcurrency?: number;
}

export interface SimulatorCounters {
  /** Chat completion requests that reached the quota check. */
  requests: number;
  /** Answered 200. */
  succeeded: number;
  /** Answered 429. */
  rateLimited: number;
  /** Estimated maximum tokens charged for admitted requests (prompt + max_tokens). */
  tokensCharged: number;
  promptTokens: number;
  imageTokens: number;
  /** Reasoning tokens included. */
  completionTokens: number;
  reasoningTokens: number;
  /** Request body bytes of every request that reached the quota check. */
  bytesReceived: number;
}

export interface Admission {
  /** `performance.now()` on arrival. */
  at: number;
  tokens: number;
}

export interface Refusal {
  at: number;
  retryAfterMs: number;
}

export interface LoadSimulator {
  /** The Azure `endpoint`. */
  url: string;
  /** The OpenAI `baseURL`. */
  v1BaseUrl: string;
  windowMs: number;
  /** Per window. */
  tokenCapacity: number;
  requestCapacity: number;
  tokensPerMinute: number;
  requestsPerMinute: number;
  counters(): SimulatorCounters;
  /** Every admitted request, in arrival order. */
  admissions: readonly Admission[];
  /** Every 429, in order. */
  refusals: readonly Refusal[];
  close(): Promise<void>;
}

const DEFAULT_LATENCY: LatencyModel = { baseMs: 800, perOutputTokenMs: 15, jitter: 0.2 };
/** What Azure assumes when a request sets no max_tokens. */
const DEFAULT_MAX_TOKENS = 4096;

/** Puts `entry` after every entry (from index `from` on) that did not arrive later. */
function insertByTime<T extends { at: number }>(list: T[], entry: T, from = 0): void {
  let index = list.length;
  while (index > from && (list[index - 1]?.at ?? 0) > entry.at) index -= 1;
  list.splice(index, 0, entry);
}

/** Charges kept in arrival order; the sum of those inside the window is kept as they enter and leave. */
class SlidingWindow {
  private readonly entries: Admission[] = [];
  private head = 0;
  private sum = 0;

  constructor(private readonly windowMs: number) {}

  used(now: number): number {
    while (this.head < this.entries.length && (this.entries[this.head]?.at ?? 0) <= now - this.windowMs) {
      this.sum -= this.entries[this.head]?.tokens ?? 0;
      this.head += 1;
    }
    // Drop what has left the window once it dominates the array, so a long run stays small.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    return this.sum;
  }

  fits(now: number, amount: number, capacity: number): boolean {
    const used = this.used(now);
    return used === 0 || used + amount <= capacity;
  }

  /** Requests measured side by side can finish out of arrival order: each charge goes to its place in time. */
  add(at: number, amount: number): void {
    insertByTime(this.entries, { at, tokens: amount }, this.head);
    this.sum += amount;
  }

  /** Milliseconds until `amount` fits: the oldest charges leave one by one. */
  waitFor(now: number, amount: number, capacity: number): number {
    let used = this.used(now);
    for (let i = this.head; i < this.entries.length; i++) {
      const entry = this.entries[i];
      if (entry === undefined) break;
      used -= entry.tokens;
      if (used === 0 || used + amount <= capacity) return Math.max(0, entry.at + this.windowMs - now);
    }
    return 0;
  }
}

/** Admits at most `limit` at once, first come first served. */
class Gate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    try {
      return await task();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }
}

export async function startLoadSimulator(options: LoadSimulatorOptions): Promise<LoadSimulator> {
  const windowMs = options.windowMs ?? 10_000;
  const tokensPerMinute = options.tokensPerMinute;
  const requestsPerMinute = options.requestsPerMinute ?? Math.max(1, Math.floor((tokensPerMinute * (options.rpmPer1000Tpm ?? 6)) / 1000));
  const tokenCapacity = Math.max(1, Math.floor((tokensPerMinute * windowMs) / 60_000));
  const requestCapacity = Math.max(1, Math.floor((requestsPerMinute * windowMs) / 60_000));
  const latency = options.latency ?? DEFAULT_LATENCY;
  const model = options.model ?? 'gpt-4o-2024-11-20';
  const next = createRandom(options.seed ?? 1).next;
  const ingest = new Gate(options.ingestConcurrency ?? 4);
  const tokens = new SlidingWindow(windowMs);
  const requests = new SlidingWindow(windowMs);
  const admissions: Admission[] = [];
  const refusals: Refusal[] = [];
  const counters: SimulatorCounters = {
    requests: 0,
    succeeded: 0,
    rateLimited: 0,
    tokensCharged: 0,
    promptTokens: 0,
    imageTokens: 0,
    completionTokens: 0,
    reasoningTokens: 0,
    bytesReceived: 0,
  };
  let sequence = 0;

  const remainingHeaders = (now: number): Record<string, string> => ({
    'x-ratelimit-remaining-requests': String(Math.max(0, requestCapacity - requests.used(now))),
    'x-ratelimit-remaining-tokens': String(Math.max(0, tokenCapacity - tokens.used(now))),
  });

  /** Reads and measures the body; undefined when an answer (an error) was already sent. */
  const readRequest = async (
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<{ body: ChatBody; measured: Measured; bytes: number; arrivedAt: number } | undefined> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    // Measuring (decoding the images) is this simulator's cost, not the service's: it must not delay the arrival.
    const arrivedAt = performance.now();
    let body: ChatBody;
    try {
      body = JSON.parse(raw.toString('utf8')) as ChatBody;
    } catch {
      sendJson(res, 400, errorBody('the body is not JSON', 'invalid_json'));
      return undefined;
    }
    try {
      const broken = ruleViolation(model, body);
      if (broken !== undefined) {
        sendJson(res, broken.status, broken.body);
        return undefined;
      }
      return { body, measured: await measure(body, model), bytes: raw.length, arrivedAt };
    } catch (error) {
      if (!(error instanceof BadRequest)) throw error;
      sendJson(res, 400, errorBody(error.message, 'invalid_image'));
      return undefined;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, wait: Wait): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!acceptRoute(req, url, res)) return;

    const read = await ingest.run(() => readRequest(req, res));
    if (read === undefined) return;
    const { measured, arrivedAt: now } = read;
    const budget = measured.maxTokens ?? DEFAULT_MAX_TOKENS;
    const charge = measured.promptTokens + budget;
    counters.requests += 1;
    counters.bytesReceived += read.bytes;
    if (!tokens.fits(now, charge, tokenCapacity) || !requests.fits(now, 1, requestCapacity)) {
      const waitMs = Math.ceil(Math.max(tokens.waitFor(now, charge, tokenCapacity), requests.waitFor(now, 1, requestCapacity), 1));
      counters.rateLimited += 1;
      refusals.push({ at: now, retryAfterMs: waitMs });
      return sendJson(
        res,
        429,
        {
          error: {
            code: '429',
            message: `Requests to the ChatCompletions_Create Operation have exceeded the rate limit of the deployment. Please retry after ${Math.ceil(waitMs / 1000)} seconds.`,
          },
        },
        { 'retry-after': String(Math.ceil(waitMs / 1000)), 'retry-after-ms': String(waitMs), ...remainingHeaders(now) },
      );
    }
    tokens.add(now, charge);
    requests.add(now, 1);
    insertByTime(admissions, { at: now, tokens: charge });
    counters.tokensCharged += charge;
    counters.promptTokens += measured.promptTokens;
    counters.imageTokens += measured.imageTokens;
    // The headers describe the window as the request found it, after its own charge.
    const headers = remainingHeaders(now);

    const reasoningTokens = Math.min(budget, reasoningTokensFor(model, read.body));
    const answerTokens = Math.min(budget - reasoningTokens, Math.ceil(measured.answer.length / CHARS_PER_TOKEN));
    const truncated = answerTokens < Math.ceil(measured.answer.length / CHARS_PER_TOKEN);
    const completionTokens = reasoningTokens + answerTokens;
    const spread = 1 + latency.jitter * (2 * next() - 1);
    await wait(Math.max(0, (latency.baseMs + latency.perOutputTokenMs * completionTokens) * spread), res);
    counters.succeeded += 1;
    counters.completionTokens += completionTokens;
    counters.reasoningTokens += reasoningTokens;
    sequence += 1;
    sendJson(
      res,
      200,
      chatCompletion({
        id: `chatcmpl-sim-${sequence}`,
        model,
        content: truncated ? measured.answer.slice(0, answerTokens * CHARS_PER_TOKEN) : measured.answer,
        finishReason: truncated ? 'length' : 'stop',
        promptTokens: measured.promptTokens,
        completionTokens,
        reasoningTokens,
      }),
      { 'x-request-id': `sim-${sequence}`, ...headers },
    );
  };

  const loopback = await serveLoopback(handle, 'simulator failed');
  const { url } = loopback;
  return {
    url,
    v1BaseUrl: `${url}/v1`,
    windowMs,
    tokenCapacity,
    requestCapacity,
    tokensPerMinute,
    requestsPerMinute,
    counters: () => ({ ...counters }),
    admissions,
    refusals,
    close: loopback.close,
  };
}
