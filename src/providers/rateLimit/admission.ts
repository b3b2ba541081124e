/**
 * Who goes next: waiters first come first served against both budgets, at the AIMD factor and outside a
 * 429's pause, each turned away at its deadline.
 */
import { TransientError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { SETTINGS } from '../../names.js';
import { abortedError } from '../aborted.js';
import type { Budget } from './budget.js';
import { EXPIRY_MARGIN_MS, type Expiry, type Ticket } from './chargeWindow.js';
import type { LimiterState } from './state.js';

/** Multiplicative decrease on a 429, at most once per window (the 429s of one burst are one signal). */
const DECREASE = 0.7;
/** Additive increase: a window's worth of successful tokens earns back this much factor. */
const INCREASE_PER_WINDOW = 0.1;
const MIN_FACTOR = 0.05;
/** A 429 without retry-after pauses this long; none pauses for less (a zero would spin). */
const DEFAULT_PAUSE_MS = 1_000;
const MIN_PAUSE_MS = 100;
/** A 429 asking for at most this share of the window says the books run early, not over (docs/scaling.md). */
const MAX_MARGIN_SHARE = 0.1;
/** Waiters looked at behind the first for one that may go ahead (bounded: pump runs on every change). */
const BACKFILL_SCAN = 32;

export interface AcquireOptions {
  /** `performance.now()` time after which the call gives up as rate_limited. */
  deadline: number;
  signal?: AbortSignal;
}

export interface AdmissionOptions {
  windowMs: number;
  maxWaitMs: number;
  logger?: Logger;
}

/** The figures of the limiter's state that admission keeps. */
export type AdmissionState = Pick<
  LimiterState,
  'factor' | 'inFlight' | 'waiting' | 'admitted' | 'rateLimited' | 'waitTimeouts' | 'maxWaitedMs' | 'pausedForMs'
>;

interface Waiter {
  tokens: number;
  enqueuedAt: number;
  deadline: number;
  resolve: (ticket: Ticket) => void;
  reject: (error: Error) => void;
  detach: () => void;
}

export class Admission {
  private readonly waiters: Waiter[] = [];
  private readonly maxMarginMs: number;
  private currentFactor = 1;
  private pausedUntil = 0;
  private holdDecreaseUntil = 0;
  private inFlight = 0;
  private admitted = 0;
  private rateLimitedCount = 0;
  private waitTimeouts = 0;
  private maxWaitedMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly budgets: { tokens: Budget; requests: Budget },
    private readonly expiry: Expiry,
    private readonly options: AdmissionOptions,
    /** Something changed that the state report should show. */
    private readonly changed: () => void,
  ) {
    this.maxMarginMs = Math.max(EXPIRY_MARGIN_MS, options.windowMs * MAX_MARGIN_SHARE);
  }

  /** 1 = the whole capacity; lowered by 429s, earned back by successes. */
  get factor(): number {
    return this.currentFactor;
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
      this.changed();
      this.pump();
    });
  }

  /** An admitted call ended (its charges stay in the window). */
  released(): void {
    this.inFlight -= 1;
    this.changed();
    this.pump();
  }

  /** A response that was not a 429: the call's tokens earn back a little factor (additive increase). */
  succeeded(ticket: Ticket | undefined): void {
    const capacity = this.budgets.tokens.serviceCapacity;
    if (ticket !== undefined && capacity !== undefined) {
      this.currentFactor = Math.min(1, this.currentFactor + (INCREASE_PER_WINDOW * ticket.tokens) / capacity);
    }
    this.changed();
    this.pump();
  }

  /** A 429: every call pauses for its retry-after, and the factor falls unless the books merely ran early. */
  refused(retryAfter: number | undefined): void {
    const now = performance.now();
    const pause = Math.max(MIN_PAUSE_MS, retryAfter ?? DEFAULT_PAUSE_MS);
    this.rateLimitedCount += 1;
    this.pausedUntil = Math.max(this.pausedUntil, now + pause);
    if (retryAfter !== undefined && retryAfter <= this.maxMarginMs) {
      // Early by a transit's worth, not over the quota: keeping charges longer is the cure, not less capacity.
      this.expiry.marginMs = Math.min(this.maxMarginMs, this.expiry.marginMs + retryAfter);
    } else if (now >= this.holdDecreaseUntil) {
      this.currentFactor = Math.max(MIN_FACTOR, this.currentFactor * DECREASE);
      this.holdDecreaseUntil = now + this.options.windowMs;
    }
    this.options.logger?.warn('limiter.rate_limited', {
      retryAfterMs: retryAfter === undefined ? null : Math.round(retryAfter),
      pausedMs: Math.round(pause),
      factor: this.roundedFactor,
      expiryMarginMs: Math.round(this.expiry.marginMs),
      rateLimited: this.rateLimitedCount,
      inFlight: this.inFlight,
      waiting: this.waiters.length,
    });
    this.changed();
    this.pump();
  }

  state(now: number): AdmissionState {
    return {
      factor: this.roundedFactor,
      inFlight: this.inFlight,
      waiting: this.waiters.length,
      admitted: this.admitted,
      rateLimited: this.rateLimitedCount,
      waitTimeouts: this.waitTimeouts,
      maxWaitedMs: Math.round(this.maxWaitedMs),
      pausedForMs: Math.max(0, Math.round(this.pausedUntil - now)),
    };
  }

  /** Stops the wake-up timer and turns away whatever still waits. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const waiter of this.waiters.splice(0)) {
      waiter.detach();
      waiter.reject(new TransientError('internal_error', 'the host stopped while the model call waited for quota'));
    }
  }

  private get roundedFactor(): number {
    return Math.round(this.currentFactor * 1000) / 1000;
  }

  /** Calls go one at a time while a limit is neither configured nor yet learnt from a response. */
  private get probing(): boolean {
    return this.budgets.tokens.source === 'learning' || this.budgets.requests.source === 'learning';
  }

  /** `pending`: tokens of a call supposed admitted now, to see whether admitting it would delay this one. */
  private readyAt(tokens: number, now: number, pending = 0): number {
    if (this.probing && this.inFlight > 0) return Number.POSITIVE_INFINITY;
    return Math.max(
      now,
      this.pausedUntil,
      this.budgets.tokens.readyAt(now, tokens, this.currentFactor, pending),
      this.budgets.requests.readyAt(now, 1, this.currentFactor, pending > 0 ? 1 : 0),
    );
  }

  /** Admits waiters in order while they fit, turns away those past their deadline, and sets the next wake-up. */
  private pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed) return;
    const now = performance.now();
    this.budgets.tokens.window.prune(now);
    this.budgets.requests.window.prune(now);
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

  /** A later, smaller waiter goes first when that does not make the first wait any longer (it uses what would stay idle). */
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
    this.budgets.tokens.window.charge(now, waiter.tokens, seq);
    this.budgets.requests.window.charge(now, 1, seq);
    this.inFlight += 1;
    this.admitted += 1;
    this.maxWaitedMs = Math.max(this.maxWaitedMs, now - waiter.enqueuedAt);
    waiter.resolve({ seq, at: now, tokens: waiter.tokens, rateLimited: false });
  }

  /** Gives up on a waiter at its deadline; `retryAfterMs` is when the quota will have covered it and every call ahead. */
  private expire(waiter: Waiter, now: number): void {
    const ahead = this.waiters.slice(0, this.waiters.indexOf(waiter) + 1).reduce((sum, candidate) => sum + candidate.tokens, 0);
    const capacity = this.budgets.tokens.capacity(this.currentFactor);
    this.remove(waiter);
    this.waitTimeouts += 1;
    const waitedMs = Math.round(now - waiter.enqueuedAt);
    const waiting = this.waiters.length;
    const retryAfterMs = capacity === undefined ? undefined : Math.round((ahead * this.options.windowMs) / capacity);
    const details = {
      waitedMs,
      tokens: waiter.tokens,
      waiting,
      factor: this.roundedFactor,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
    this.options.logger?.warn('limiter.wait_timeout', details);
    const message =
      `no model quota within ${SETTINGS.modelRateMaxWaitMs} (${this.options.maxWaitMs} ms; this call waited ${waitedMs} ms ` +
      `for ${waiter.tokens} tokens, ${waiting} calls still waiting): the job goes back to the queue`;
    waiter.reject(new TransientError('rate_limited', message, { details }));
  }

  private remove(waiter: Waiter): void {
    waiter.detach();
    const index = this.waiters.indexOf(waiter);
    if (index >= 0) this.waiters.splice(index, 1);
  }
}
