/**
 * The model-call rate limiter of one process: it keeps the service's books (TPM and RPM over a short window)
 * so that calls wait here instead of being refused there. How and why: docs/scaling.md, "The limiter".
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { hostname } from 'node:os';
import type { RateLimitSettings } from '../../config.js';
import { retryAfterMs } from '../retryAfter.js';
import { Admission, type AcquireOptions } from './admission.js';
import { Budget } from './budget.js';
import { EXPIRY_MARGIN_MS, type Expiry, type Ticket } from './chargeWindow.js';
import { StateReporter, type LimiterState, type ReportOptions } from './state.js';

export interface RateLimiterOptions extends RateLimitSettings, ReportOptions {}

export class RateLimiter {
  readonly maxWaitMs: number;
  private readonly windowMs: number;
  private readonly expiry: Expiry = { marginMs: EXPIRY_MARGIN_MS };
  private readonly tokens: Budget;
  private readonly requests: Budget;
  private readonly admission: Admission;
  private readonly reporter: StateReporter;
  private readonly tickets = new AsyncLocalStorage<Ticket>();
  private readonly instance = `${hostname()}:${process.pid}`;

  constructor(options: RateLimiterOptions) {
    this.windowMs = options.windowMs;
    this.maxWaitMs = options.maxWaitMs;
    const perWindow = (perMinute: number | undefined): number | undefined =>
      perMinute === undefined ? undefined : Math.max(1, Math.floor((perMinute * options.windowMs) / 60_000));
    this.tokens = new Budget('tokens', perWindow(options.tokensPerMinute), options.windowMs, this.expiry);
    this.requests = new Budget('requests', perWindow(options.requestsPerMinute), options.windowMs, this.expiry);
    this.reporter = new StateReporter(() => this.state(), options);
    this.admission = new Admission({ tokens: this.tokens, requests: this.requests }, this.expiry, options, () => this.reporter.touch());
  }

  /** Resolves when `tokens` fit the budget; rejects as rate_limited at the deadline. */
  acquire(tokens: number, options: AcquireOptions): Promise<Ticket> {
    return this.admission.acquire(tokens, options);
  }

  /** Runs the call admitted by `ticket`, so that responses observed during it are matched to its charge. */
  async run<T>(ticket: Ticket, call: () => Promise<T>): Promise<T> {
    try {
      return await this.tickets.run(ticket, call);
    } finally {
      const now = performance.now();
      this.tokens.window.settle(ticket.seq, now);
      this.requests.window.settle(ticket.seq, now);
      this.admission.released();
    }
  }

  /**
   * The current call's request is about to be sent: its charge is dated from now, not from admission, since
   * the service charges on arrival (sign-in and serialising the images come in between).
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
    if (refused && ticket !== undefined) this.refund(ticket);
    const now = performance.now();
    for (const budget of [this.tokens, this.requests]) budget.observe(headers, refused, ticket, now);
    if (refused) return this.admission.refused(retryAfterMs(headers));
    this.admission.succeeded(ticket);
  }

  /**
   * A call ended in a 429 (`retryAfter` from its error). Counted unless its response was already observed,
   * so that a provider without a response hook is limited all the same.
   */
  rateLimited(ticket: Ticket, retryAfter: number | undefined): void {
    if (ticket.rateLimited) return;
    this.refund(ticket);
    this.admission.refused(retryAfter);
  }

  state(): LimiterState {
    const now = performance.now();
    this.tokens.window.prune(now);
    this.requests.window.prune(now);
    const { factor, ...counts } = this.admission.state(now);
    return {
      instance: this.instance,
      at: new Date().toISOString(),
      windowSeconds: this.windowMs / 1000,
      factor,
      tokens: this.tokens.state(now, this.admission.factor),
      requests: this.requests.state(now, this.admission.factor),
      ...counts,
      expiryMarginMs: Math.round(this.expiry.marginMs),
    };
  }

  /** Stops the timers, turns away whatever still waits, and reports the final state. */
  async close(): Promise<void> {
    this.admission.close();
    await this.reporter.close();
  }

  /** The service refused the call and charged it nothing; its 429 is counted once. */
  private refund(ticket: Ticket): void {
    ticket.rateLimited = true;
    this.tokens.window.refund(ticket.seq);
    this.requests.window.refund(ticket.seq);
  }
}
