/**
 * The model-call rate limiter of one process. Azure OpenAI charges each request its estimated maximum
 * tokens (prompt + max_tokens) when it arrives and enforces TPM and RPM over short windows (1 or 10 s);
 * this limiter keeps the same books so that calls wait here instead of being refused there:
 *
 * - A sliding window of `windowMs` holds `TPM x windowMs / 60 s` tokens and the matching requests. A call
 *   is admitted when its estimated charge fits, first come first served (a smaller call may go ahead
 *   when that does not delay the first), else it waits until enough of the window's charges have
 *   expired or until the deadline its caller gave, whichever comes first. A charge is dated from when
 *   its request is sent.
 * - The service's `x-ratelimit-remaining-*` headers are the shared signal: what the window held at the
 *   service beyond this process's own charges (other instances, estimate error) is booked here as an
 *   external charge that expires like any other. Without configured limits the capacity is learnt from
 *   the same headers (remaining + own charges); until then calls go one at a time.
 * - A 429 is not charged: it is refunded, pauses every call until its retry-after and scales the
 *   capacity down (multiplicative decrease, once per window); each success earns it back a little
 *   (additive increase). A 429 that only says "a moment later" means the books here expire charges
 *   early: they keep them longer instead.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { hostname } from 'node:os';
import type { RateLimitSettings } from '../../config.js';
import { TransientError } from '../../errors.js';
import { SETTINGS } from '../../names.js';
import { abortedError } from '../aborted.js';
import { retryAfterMs } from '../retryAfter.js';
import { Budget } from './budget.js';
import { EXPIRY_MARGIN_MS, type Expiry, type Ticket } from './chargeWindow.js';
import { StateReporter, type LimiterState, type ReportOptions } from './state.js';

export interface RateLimiterOptions extends RateLimitSettings, ReportOptions {}

export interface AcquireOptions {
  /** `performance.now()` time after which the call gives up as rate_limited. */
  deadline: number;
  signal?: AbortSignal;
}

/** Multiplicative decrease on a 429, at most once per window (the 429s of one burst are one signal). */
const DECREASE = 0.7;
/** Additive increase: a window's worth of successful tokens earns back this much factor. */
const INCREASE_PER_WINDOW = 0.1;
const MIN_FACTOR = 0.05;
/** A 429 without retry-after pauses this long; none pauses for less (a zero would spin). */
const DEFAULT_PAUSE_MS = 1_000;
const MIN_PAUSE_MS = 100;
/**
 * A 429 whose retry-after is within MAX_MARGIN_SHARE of the window says the books here run early by about that
 * much (the transit is longer than the margin): the margin grows by it, up to that share. (Two instances
 * reaching for the same freed place get such a 429 too; the headers, not the margin, make them share.)
 */
const MAX_MARGIN_SHARE = 0.1;
/** Waiters looked at behind the first for one that may go ahead (bounded: pump runs on every change). */
const BACKFILL_SCAN = 32;

interface Waiter {
  tokens: number;
  enqueuedAt: number;
  deadline: number;
  resolve: (ticket: Ticket) => void;
  reject: (error: Error) => void;
  detach: () => void;
}

export class RateLimiter {
  readonly maxWaitMs: number;
  private readonly windowMs: number;
  private readonly expiry: Expiry = { marginMs: EXPIRY_MARGIN_MS };
  private readonly maxMarginMs: number;
  private readonly tokens: Budget;
  private readonly requests: Budget;
  private readonly tickets = new AsyncLocalStorage<Ticket>();
  private readonly waiters: Waiter[] = [];
  private readonly instance = `${hostname()}:${process.pid}`;
  private factor = 1;
  private pausedUntil = 0;
  private holdDecreaseUntil = 0;
  private inFlight = 0;
  private admitted = 0;
  private rateLimitedCount = 0;
  private waitTimeouts = 0;
  private maxWaitedMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly reporter: StateReporter;
  private closed = false;

  constructor(private readonly options: RateLimiterOptions) {
    this.windowMs = options.windowMs;
    this.maxWaitMs = options.maxWaitMs;
    const perWindow = (perMinute: number | undefined): number | undefined =>
      perMinute === undefined ? undefined : Math.max(1, Math.floor((perMinute * options.windowMs) / 60_000));
    this.maxMarginMs = Math.max(EXPIRY_MARGIN_MS, options.windowMs * MAX_MARGIN_SHARE);
    this.tokens = new Budget('tokens', perWindow(options.tokensPerMinute), options.windowMs, this.expiry);
    this.requests = new Budget('requests', perWindow(options.requestsPerMinute), options.windowMs, this.expiry);
    this.reporter = new StateReporter(() => this.state(), options);
  }

  /** Resolves when `tokens` fit the budget; rejects as rate_limited at the deadline. */
  acquire(tokens: number, { deadline, signal }: AcquireOptions): Promise<Ticket> {
    if (this.closed) return Promise.reject(new TransientError('internal_error', 'the model-call limiter is closed: the host is stopping'));
    return new Promise<Ticket>((resolve, reject) => {
      const waiter: Waiter = { tokens, enqueuedAt: performance.now(), deadline, resolve, reject, detach: () => undefined };
      if (signal !== undefined) {
        const onAbort = (): void => {
          this.remove(waiter);
          reject(
            abortedError(signal, {
              timedOut: "the job's time budget ran out while the model call waited for quota",
              cancelled: 'the model call was cancelled while it waited for quota',
            }),
          );
          this.pump();
        };
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        waiter.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.waiters.push(waiter);
      this.reporter.touch();
      this.pump();
    });
  }

  /** Runs the call admitted by `ticket`, so that responses observed during it are matched to its charge. */
  async run<T>(ticket: Ticket, call: () => Promise<T>): Promise<T> {
    try {
      return await this.tickets.run(ticket, call);
    } finally {
      const now = performance.now();
      this.tokens.window.settle(ticket.seq, now);
      this.requests.window.settle(ticket.seq, now);
      this.inFlight -= 1;
      this.reporter.touch();
      this.pump();
    }
  }

  /**
   * The current call's request is about to be sent. Its charge is dated from now, not from admission:
   * the service charges on arrival, and the time in between (sign-in, serialising an image) would
   * otherwise let the charge expire here before it expires there.
   */
  sending(): void {
    const ticket = this.tickets.getStore();
    if (ticket === undefined) return;
    ticket.at = performance.now();
    this.tokens.window.redate(ticket.seq, ticket.at);
    this.requests.window.redate(ticket.seq, ticket.at);
  }

  /**
   * Every HTTP response of a model call passes through here. A 429 was not charged: its charge is
   * refunded, and the call waits for quota again through `acquire` (see observingFetch).
   */
  observe(status: number, headers: Headers): void {
    const ticket = this.tickets.getStore();
    const refused = status === 429;
    if (!refused && (status < 200 || status >= 300)) return;
    if (refused && ticket !== undefined) {
      ticket.rateLimited = true;
      this.tokens.window.refund(ticket.seq);
      this.requests.window.refund(ticket.seq);
    }
    const now = performance.now();
    for (const budget of [this.tokens, this.requests]) budget.observe(headers, refused, ticket, now);
    if (refused) return this.onRateLimited(retryAfterMs(headers));
    const capacity = this.tokens.serviceCapacity;
    if (ticket !== undefined && capacity !== undefined) {
      this.factor = Math.min(1, this.factor + (INCREASE_PER_WINDOW * ticket.tokens) / capacity);
    }
    this.reporter.touch();
    this.pump();
  }

  /**
   * A call ended in a 429 (`retryAfter` from its error). Counted unless its response was already observed,
   * so that a provider without a response hook is limited all the same.
   */
  rateLimited(ticket: Ticket, retryAfter: number | undefined): void {
    if (ticket.rateLimited) return;
    ticket.rateLimited = true;
    this.tokens.window.refund(ticket.seq);
    this.requests.window.refund(ticket.seq);
    this.onRateLimited(retryAfter);
  }

  state(): LimiterState {
    const now = performance.now();
    this.tokens.window.prune(now);
    this.requests.window.prune(now);
    return {
      instance: this.instance,
      at: new Date().toISOString(),
      windowSeconds: this.windowMs / 1000,
      factor: Math.round(this.factor * 1000) / 1000,
      tokens: this.tokens.state(now, this.factor),
      requests: this.requests.state(now, this.factor),
      inFlight: this.inFlight,
      waiting: this.waiters.length,
      admitted: this.admitted,
      rateLimited: this.rateLimitedCount,
      waitTimeouts: this.waitTimeouts,
      maxWaitedMs: Math.round(this.maxWaitedMs),
      pausedForMs: Math.max(0, Math.round(this.pausedUntil - now)),
      expiryMarginMs: Math.round(this.expiry.marginMs),
    };
  }

  /** Stops the timers, turns away whatever still waits, and reports the final state. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    for (const waiter of this.waiters.splice(0)) {
      waiter.detach();
      waiter.reject(new TransientError('internal_error', 'the host stopped while the model call waited for quota'));
    }
    await this.reporter.close();
  }

  private onRateLimited(retryAfter: number | undefined): void {
    const now = performance.now();
    const pause = Math.max(MIN_PAUSE_MS, retryAfter ?? DEFAULT_PAUSE_MS);
    this.rateLimitedCount += 1;
    this.pausedUntil = Math.max(this.pausedUntil, now + pause);
    if (retryAfter !== undefined && retryAfter <= this.maxMarginMs) {
      // Early by a transit's worth, not over the quota: keeping charges longer is the cure, not less capacity.
      this.expiry.marginMs = Math.min(this.maxMarginMs, this.expiry.marginMs + retryAfter);
    } else if (now >= this.holdDecreaseUntil) {
      this.factor = Math.max(MIN_FACTOR, this.factor * DECREASE);
      this.holdDecreaseUntil = now + this.windowMs;
    }
    this.options.logger?.warn('limiter.rate_limited', {
      retryAfterMs: retryAfter === undefined ? null : Math.round(retryAfter),
      pausedMs: Math.round(pause),
      factor: Math.round(this.factor * 1000) / 1000,
      expiryMarginMs: Math.round(this.expiry.marginMs),
      rateLimited: this.rateLimitedCount,
      inFlight: this.inFlight,
      waiting: this.waiters.length,
    });
    this.reporter.touch();
    this.pump();
  }

  /** Calls go one at a time while a limit is neither configured nor yet learnt from a response. */
  private get probing(): boolean {
    return this.tokens.source === 'learning' || this.requests.source === 'learning';
  }

  /** `pending`: tokens of a call supposed admitted now, to see whether admitting it would delay this one. */
  private readyAt(tokens: number, now: number, pending = 0): number {
    if (this.probing && this.inFlight > 0) return Number.POSITIVE_INFINITY;
    return Math.max(
      now,
      this.pausedUntil,
      this.tokens.readyAt(now, tokens, this.factor, pending),
      this.requests.readyAt(now, 1, this.factor, pending > 0 ? 1 : 0),
    );
  }

  /** Admits waiters in order while they fit, turns away those past their deadline, and sets the next wake-up. */
  private pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed) return;
    const now = performance.now();
    this.tokens.window.prune(now);
    this.requests.window.prune(now);
    for (let head = this.waiters[0]; head !== undefined && this.readyAt(head.tokens, now) <= now; head = this.waiters[0]) {
      this.waiters.shift();
      this.admit(head, now);
    }
    this.backfill(now);
    for (const waiter of this.waiters.filter((candidate) => candidate.deadline <= now)) this.expire(waiter, now);
    const head = this.waiters[0];
    if (head === undefined) return;
    // Without a finite time the next release or response wakes the queue.
    const wakeAt = Math.min(this.readyAt(head.tokens, now), ...this.waiters.map((waiter) => waiter.deadline));
    if (Number.isFinite(wakeAt)) this.timer = setTimeout(() => this.pump(), Math.max(1, Math.ceil(wakeAt - now)));
  }

  /**
   * While the first waiter waits for a large charge to fit, a later, smaller one may go first if that
   * does not make the first wait any longer (what would otherwise stay unused until then is used).
   */
  private backfill(now: number): void {
    const head = this.waiters[0];
    if (head === undefined) return;
    const headAt = this.readyAt(head.tokens, now);
    if (!Number.isFinite(headAt)) return;
    for (const candidate of this.waiters.slice(1, 1 + BACKFILL_SCAN)) {
      if (this.readyAt(candidate.tokens, now) > now || this.readyAt(head.tokens, now, candidate.tokens) > headAt) continue;
      this.remove(candidate);
      this.admit(candidate, now);
    }
  }

  private admit(waiter: Waiter, now: number): void {
    waiter.detach();
    const seq = this.admitted;
    this.tokens.window.charge(now, waiter.tokens, seq);
    this.requests.window.charge(now, 1, seq);
    this.inFlight += 1;
    this.admitted += 1;
    this.maxWaitedMs = Math.max(this.maxWaitedMs, now - waiter.enqueuedAt);
    waiter.resolve({ seq, at: now, tokens: waiter.tokens, rateLimited: false });
  }

  /**
   * Gives up on a waiter at its deadline. `retryAfterMs` is how long the quota takes to cover it and
   * every call ahead of it: when to try the job again (whoever re-queues it reads that detail).
   */
  private expire(waiter: Waiter, now: number): void {
    const ahead = this.waiters.slice(0, this.waiters.indexOf(waiter) + 1).reduce((sum, candidate) => sum + candidate.tokens, 0);
    const capacity = this.tokens.capacity(this.factor);
    this.remove(waiter);
    this.waitTimeouts += 1;
    const waitedMs = Math.round(now - waiter.enqueuedAt);
    const state = this.state();
    const retryAfterMs = capacity === undefined ? undefined : Math.round((ahead * this.windowMs) / capacity);
    const details = {
      waitedMs,
      tokens: waiter.tokens,
      waiting: state.waiting,
      factor: state.factor,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
    this.options.logger?.warn('limiter.wait_timeout', details);
    waiter.reject(
      new TransientError(
        'rate_limited',
        `no model quota within ${SETTINGS.modelRateMaxWaitMs} (${this.maxWaitMs} ms; this call waited ${waitedMs} ms for ${waiter.tokens} tokens, ${state.waiting} calls still waiting): the job goes back to the queue`,
        { details },
      ),
    );
  }

  private remove(waiter: Waiter): void {
    waiter.detach();
    const index = this.waiters.indexOf(waiter);
    if (index >= 0) this.waiters.splice(index, 1);
  }
}
