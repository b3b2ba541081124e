/**
 * The limiter's books on a fake clock: the sliding window, first come first served, the deadline, the
 * pause and AIMD on 429s, and what it learns from the service's rate-limit headers.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TransientError } from '../../../src/errors.js';
import { RateLimiter, type RateLimiterOptions } from '../../../src/providers/rateLimit/rateLimiter.js';

const WINDOW_MS = 10_000;
/** The limiter keeps a charge this much longer than the window (the service charges on arrival, a little later). */
const MARGIN_MS = 100;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'] });
});

afterEach(() => {
  vi.useRealTimers();
});

function limiter(options: Partial<RateLimiterOptions> = {}): RateLimiter {
  return new RateLimiter({ windowMs: WINDOW_MS, maxWaitMs: 60_000, ...options });
}

/**
 * Acquires and records when the call was admitted; it then runs until `finish`. `respond` shows the
 * limiter a response from within the call, as the provider's fetch does.
 */
function start(subject: RateLimiter, tokens: number, maxWaitMs = 60_000) {
  const admittedAt: number[] = [];
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  type InCall = ReturnType<typeof AsyncLocalStorage.snapshot>;
  let enter: (inCall: InCall) => void = () => undefined;
  const inCall = new Promise<InCall>((resolve) => (enter = resolve));
  const ticket = subject.acquire(tokens, { deadline: performance.now() + maxWaitMs });
  void ticket.then(
    (admitted) => {
      admittedAt.push(performance.now());
      return subject.run(admitted, () => {
        enter(AsyncLocalStorage.snapshot());
        return done;
      });
    },
    () => undefined,
  );
  const respond = async (status: number, values: Record<string, string>): Promise<void> => {
    (await inCall)(() => subject.observe(status, new Headers(values)));
  };
  return { ticket, admittedAt, respond, finish: () => finish() };
}

describe('RateLimiter', () => {
  it('admits what fits the window, queues the rest, and admits each as the oldest charges expire', async () => {
    // 60,000 TPM over 10 s windows: 10,000 tokens a window.
    const subject = limiter({ tokensPerMinute: 60_000, requestsPerMinute: 6_000 });
    const first = start(subject, 5_000);
    await vi.advanceTimersByTimeAsync(1_000);
    const later = [4_000, 5_500, 1_000].map((tokens) => start(subject, tokens));
    await vi.advanceTimersByTimeAsync(0);
    // 5,500 fits once the first charge leaves; the 1,000 behind it fits now, but taking it would make the
    // 5,500 wait for the second charge too, so it keeps its place.
    expect(later.map((call) => call.admittedAt.length)).toEqual([1, 0, 0]);
    expect(subject.state()).toMatchObject({ inFlight: 2, waiting: 2, tokens: { used: 9_000, capacity: 10_000, source: 'configured' } });

    // The first charge leaves the window (plus the margin); the second, a second later, need not.
    await vi.advanceTimersByTimeAsync(WINDOW_MS + MARGIN_MS - 1_000 - 1);
    expect(later.map((call) => call.admittedAt.length)).toEqual([1, 0, 0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(later.map((call) => call.admittedAt.length)).toEqual([1, 1, 0]);
    expect(subject.state().tokens.used).toBe(9_500);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(later.map((call) => call.admittedAt.length)).toEqual([1, 1, 1]);
    for (const call of [first, ...later]) call.finish();
    await subject.close();
  });

  it('lets a later, smaller call go first when that does not delay the first in line', async () => {
    const subject = limiter({ tokensPerMinute: 60_000, requestsPerMinute: 6_000 });
    const first = start(subject, 6_000);
    await vi.advanceTimersByTimeAsync(1_000);
    const later = [3_000, 2_000, 1_000].map((tokens) => start(subject, tokens));
    await vi.advanceTimersByTimeAsync(0);
    // 2,000 waits for the 6,000 to leave; by then 3,000 + 1,000 + 2,000 fit, so the 1,000 goes now.
    expect(later.map((call) => call.admittedAt.length)).toEqual([1, 0, 1]);
    expect(subject.state().tokens.used).toBe(10_000);
    await vi.advanceTimersByTimeAsync(WINDOW_MS + MARGIN_MS - 1_000);
    expect(later.map((call) => call.admittedAt.length)).toEqual([1, 1, 1]);
    for (const call of [first, ...later]) call.finish();
    await subject.close();
  });

  it('keeps requests per minute as well as tokens', async () => {
    // 6 RPM over 10 s: one request a window, however small.
    const subject = limiter({ tokensPerMinute: 1_000_000, requestsPerMinute: 6 });
    const calls = [10, 10].map((tokens) => start(subject, tokens));
    await vi.advanceTimersByTimeAsync(WINDOW_MS);
    expect(calls.map((call) => call.admittedAt.length)).toEqual([1, 0]);
    await vi.advanceTimersByTimeAsync(MARGIN_MS + 1);
    expect(calls.map((call) => call.admittedAt.length)).toEqual([1, 1]);
    for (const call of calls) call.finish();
    await subject.close();
  });

  it('lets a call larger than the whole window through once the window is empty', async () => {
    const subject = limiter({ tokensPerMinute: 6_000, requestsPerMinute: 600 });
    const small = start(subject, 500);
    const huge = start(subject, 5_000);
    await vi.advanceTimersByTimeAsync(WINDOW_MS);
    expect(huge.admittedAt.length).toBe(0);
    await vi.advanceTimersByTimeAsync(MARGIN_MS + 1);
    expect(huge.admittedAt.length).toBe(1);
    small.finish();
    huge.finish();
    await subject.close();
  });

  it('turns a call away as rate_limited when its wait reaches the deadline', async () => {
    const subject = limiter({ tokensPerMinute: 60_000, requestsPerMinute: 6_000 });
    const first = start(subject, 10_000);
    const second = start(subject, 1_000, 3_000);
    const outcome = second.ticket.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(3_000);
    const error = await outcome;
    expect(error).toBeInstanceOf(TransientError);
    expect((error as TransientError).code).toBe('rate_limited');
    expect((error as TransientError).message).toMatch(/no model quota within MODEL_RATE_MAX_WAIT_MS/);
    // When to try again: the 1,000 tokens it waits for at 10,000 a window.
    expect((error as TransientError).details).toMatchObject({ waitedMs: 3_000, retryAfterMs: 1_000 });
    expect(subject.state()).toMatchObject({ waiting: 0, waitTimeouts: 1, inFlight: 1 });
    first.finish();
    await subject.close();
  });

  it('pauses every call for a 429s retry-after and scales the capacity down once per window, then earns it back', async () => {
    const subject = limiter({ tokensPerMinute: 60_000, requestsPerMinute: 6_000 });
    const first = start(subject, 1_000);
    await vi.advanceTimersByTimeAsync(0);
    await first.respond(429, { 'retry-after-ms': '2500', 'retry-after': '3' });
    await first.respond(429, { 'retry-after-ms': '2500' });
    // Two 429s of one burst: counted twice, one decrease.
    expect(subject.state()).toMatchObject({ rateLimited: 2, factor: 0.7, tokens: { capacity: 7_000 } });

    const next = start(subject, 1_000);
    await vi.advanceTimersByTimeAsync(2_400);
    expect(next.admittedAt.length).toBe(0);
    await vi.advanceTimersByTimeAsync(100);
    expect(next.admittedAt.length).toBe(1);

    // Each success earns 0.1 per window's worth of tokens: 1,000 of 10,000 -> +0.01.
    await next.respond(200, {});
    expect(subject.state().factor).toBe(0.71);
    first.finish();
    next.finish();
    await subject.close();
  });

  it('keeps charges longer, without cutting the capacity, when a 429 only asks for a moment', async () => {
    const subject = limiter({ tokensPerMinute: 60_000, requestsPerMinute: 6_000 });
    const first = start(subject, 1_000);
    await vi.advanceTimersByTimeAsync(0);
    // 40 ms: the service's window frees a little later than the books here say; the transit is longer than the margin.
    await first.respond(429, { 'retry-after-ms': '40' });
    expect(subject.state()).toMatchObject({ rateLimited: 1, factor: 1, expiryMarginMs: MARGIN_MS + 40 });

    // Admitted once the shortest pause (100 ms) is over; the next waits for it to leave a window and 140 ms later.
    const big = start(subject, 10_000);
    const second = start(subject, 1_000);
    await vi.advanceTimersByTimeAsync(100);
    expect(big.admittedAt.length).toBe(1);
    await vi.advanceTimersByTimeAsync(WINDOW_MS + MARGIN_MS + 39);
    expect(second.admittedAt.length).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(second.admittedAt.length).toBe(1);
    for (const call of [first, big, second]) call.finish();
    await subject.close();
  });

  it('without configured limits goes one call at a time until the headers tell the capacity', async () => {
    const subject = limiter();
    const calls = [1_000, 1_000, 1_000].map((tokens) => start(subject, tokens));
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((call) => call.admittedAt.length)).toEqual([1, 0, 0]);
    expect(subject.state().tokens.source).toBe('learning');

    // The service's window holds 10,000 tokens and 60 requests; this call's charge is already in it.
    await calls[0]?.respond(200, {
      'x-ratelimit-remaining-tokens': '9000',
      'x-ratelimit-remaining-requests': '59',
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((call) => call.admittedAt.length)).toEqual([1, 1, 1]);
    expect(subject.state()).toMatchObject({
      tokens: { source: 'learned', capacity: 10_000, perMinute: 60_000, lastRemaining: 9_000 },
      requests: { source: 'learned', capacity: 60 },
    });
    for (const call of calls) call.finish();
    await subject.close();
  });

  it('enforces nothing when the service sends no rate-limit headers', async () => {
    const subject = limiter();
    const first = start(subject, 1_000);
    await vi.advanceTimersByTimeAsync(0);
    await first.respond(200, {});
    const rest = [1_000_000, 1_000_000].map((tokens) => start(subject, tokens));
    await vi.advanceTimersByTimeAsync(0);
    expect(rest.map((call) => call.admittedAt.length)).toEqual([1, 1]);
    expect(subject.state().tokens).toMatchObject({ source: 'unreported', capacity: null });
    for (const call of [first, ...rest]) call.finish();
    await subject.close();
  });

  it('books what others charged, as the remaining headers reveal it, until it leaves the window', async () => {
    const subject = limiter({ tokensPerMinute: 60_000, requestsPerMinute: 6_000 });
    const first = start(subject, 2_000);
    await vi.advanceTimersByTimeAsync(0);
    // Own 2,000 of 10,000 would leave 8,000; the service says 3,000: others hold 5,000.
    await first.respond(200, { 'x-ratelimit-remaining-tokens': '3000' });
    expect(subject.state().tokens).toMatchObject({ used: 2_000, external: 5_000 });

    const next = start(subject, 4_000);
    await vi.advanceTimersByTimeAsync(WINDOW_MS);
    expect(next.admittedAt.length).toBe(0);
    await vi.advanceTimersByTimeAsync(MARGIN_MS + 1);
    expect(next.admittedAt.length).toBe(1);
    expect(subject.state().tokens.external).toBe(0);
    first.finish();
    next.finish();
    await subject.close();
  });

  it('reports its state while it works and once more when it settles', async () => {
    const reports: number[] = [];
    const subject = limiter({
      tokensPerMinute: 60_000,
      requestsPerMinute: 6_000,
      reportEveryMs: 1_000,
      report: (state) => void reports.push(state.inFlight),
    });
    const call = start(subject, 1_000);
    await vi.advanceTimersByTimeAsync(0);
    call.finish();
    await vi.advanceTimersByTimeAsync(WINDOW_MS + 3_000);
    const settledCount = reports.length;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(reports.length).toBe(settledCount);
    expect(reports.at(-1)).toBe(0);
    expect(subject.state().tokens.used).toBe(0);
    await subject.close();
  });
});
