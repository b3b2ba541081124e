/**
 * One dimension (tokens or requests): its window of charges and its capacity, configured or learnt from the
 * service's `x-ratelimit-remaining-*` headers, which also reveal what others hold (docs/scaling.md).
 */
import { ChargeWindow, type Charge, type Expiry, type Ticket } from './chargeWindow.js';
import type { BudgetSource, BudgetState } from './state.js';

export type Dimension = 'tokens' | 'requests';

/** A count the service sent; anything else reads as not sent. */
function readCount(headers: Headers, name: string): number | undefined {
  const value = Number.parseFloat(headers.get(name) ?? '');
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

export class Budget {
  readonly window: ChargeWindow;
  private learned: number | undefined;
  private unreported = false;
  lastRemaining: number | null = null;

  constructor(
    private readonly dimension: Dimension,
    /** Per window. */
    private readonly configured: number | undefined,
    private readonly windowMs: number,
    expiry: Expiry,
  ) {
    this.window = new ChargeWindow(windowMs, expiry);
  }

  get source(): BudgetSource {
    if (this.configured !== undefined) return 'configured';
    if (this.learned !== undefined) return 'learned';
    return this.unreported ? 'unreported' : 'learning';
  }

  /** What the service's window holds, as configured or learnt. */
  get serviceCapacity(): number | undefined {
    return this.configured ?? this.learned;
  }

  capacity(factor: number): number | undefined {
    const full = this.serviceCapacity;
    return full === undefined ? undefined : Math.max(1, Math.floor(full * factor));
  }

  /** With no known capacity nothing is enforced. */
  readyAt(now: number, amount: number, factor: number, pending = 0): number {
    const capacity = this.capacity(factor);
    return capacity === undefined ? now : this.window.readyAt(now, amount, capacity, pending);
  }

  /** A response of `ticket`'s call (if it is one): a success without the header means the service sends none. */
  observe(headers: Headers, refused: boolean, ticket: Ticket | undefined, now: number): void {
    const remaining = readCount(headers, `x-ratelimit-remaining-${this.dimension}`);
    if (remaining === undefined) {
      if (!refused) this.unreported = true;
    }
    // A response slower than the window describes a window whose charges are already gone here.
    else if (ticket !== undefined && now - ticket.at <= this.windowMs) this.learn(ticket, remaining, now);
  }

  /**
   * `remaining` was left when the call arrived, between its sending and now: own charges then are known within bounds.
   * The capacity learns from the lower (it only grows: never overshoot), others' charges from the upper (only what they surely hold).
   */
  private learn({ at, seq }: Ticket, remaining: number, now: number): void {
    this.lastRemaining = remaining;
    const from = at - this.windowMs;
    // At least this call and those that ended before it was sent; at most every own call since a window (and margin) before it.
    const surelyIn = (charge: Charge): boolean => charge.seq === seq || (charge.seq !== undefined && charge.settledAt <= at);
    const ownAtLeast = this.window.sum(now - this.windowMs, at, surelyIn);
    const ownAtMost = this.window.sum(from - this.window.marginMs, now, (charge) => charge.seq !== undefined);
    if (this.configured === undefined) this.learned = Math.max(this.learned ?? 0, remaining + ownAtLeast);
    const external = (this.serviceCapacity ?? 0) - remaining - ownAtMost;
    const booked = this.window.sum(from, at, (charge) => charge.seq === undefined);
    if (external > booked) this.window.charge(at, external - booked);
  }

  state(now: number, factor: number): BudgetState {
    const full = this.serviceCapacity;
    return {
      source: this.source,
      perMinute: full === undefined ? null : Math.round((full * 60_000) / this.windowMs),
      capacity: this.capacity(factor) ?? null,
      used: this.window.used(now, true),
      external: this.window.used(now, false),
      lastRemaining: this.lastRemaining,
    };
  }
}
