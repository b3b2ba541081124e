/** The sliding window of one dimension's charges (own calls and others'): what it holds, and when an amount fits. */

/** One admitted call: when it was charged and how much. */
export interface Ticket {
  /** Admission order. */
  readonly seq: number;
  /** When the request was last sent (admission until then). */
  at: number;
  readonly tokens: number;
  /** A 429 for this call has been counted. */
  rateLimited: boolean;
}

/** Shared by both dimensions: how much longer than the window a charge is kept. */
export interface Expiry {
  marginMs: number;
}

/** The service dates a charge from its arrival, a little after it leaves here: the margin to begin with. */
export const EXPIRY_MARGIN_MS = 100;

export interface Charge {
  at: number;
  amount: number;
  /** Admission order of an own charge; external ones have none. */
  seq?: number;
  /** When the own call ended: it had certainly reached the service by then. */
  settledAt: number;
}

export class ChargeWindow {
  /** Ordered by `at`; kept for two windows so a response can be compared with the window it was charged in. */
  private charges: Charge[] = [];

  constructor(
    readonly windowMs: number,
    private readonly expiry: Expiry,
  ) {}

  get marginMs(): number {
    return this.expiry.marginMs;
  }

  /** `seq` marks an own charge; without it the charge is what others hold. */
  charge(at: number, amount: number, seq?: number): void {
    let index = this.charges.length;
    while (index > 0 && (this.charges[index - 1]?.at ?? 0) > at) index -= 1;
    this.charges.splice(index, 0, { at, amount, settledAt: Number.POSITIVE_INFINITY, ...(seq === undefined ? {} : { seq }) });
  }

  /** The call's request leaves now: its charge is dated from here. */
  redate(seq: number, at: number): void {
    const charge = this.charges.find((candidate) => candidate.seq === seq);
    if (charge === undefined) return;
    this.refund(seq);
    this.charge(at, charge.amount, seq);
  }

  /** The service refused the call and charged it nothing. */
  refund(seq: number): void {
    this.charges = this.charges.filter((charge) => charge.seq !== seq);
  }

  settle(seq: number, at: number): void {
    const charge = this.charges.find((candidate) => candidate.seq === seq);
    if (charge !== undefined) charge.settledAt = at;
  }

  prune(now: number): void {
    const keepFrom = now - 2 * this.windowMs - this.expiry.marginMs;
    const first = this.charges.findIndex((charge) => charge.at > keepFrom);
    this.charges = first < 0 ? [] : this.charges.slice(first);
  }

  /** Charges in (from, to] that pass `include`. */
  sum(from: number, to: number, include: (charge: Charge) => boolean): number {
    let total = 0;
    for (const charge of this.charges) if (charge.at > from && charge.at <= to && include(charge)) total += charge.amount;
    return total;
  }

  private live(now: number): Charge[] {
    const from = now - this.windowMs - this.expiry.marginMs;
    return this.charges.filter((charge) => charge.at > from && charge.at <= now);
  }

  /** What the window holds now: own charges, or others'. */
  used(now: number, own: boolean): number {
    return this.live(now).reduce((total, charge) => total + ((charge.seq !== undefined) === own ? charge.amount : 0), 0);
  }

  /**
   * When `amount` fits `capacity` as the oldest charges expire (one larger than the window waits for an
   * empty one). `pending`: a charge supposed made now, which expires after every charge already made.
   */
  readyAt(now: number, amount: number, capacity: number, pending = 0): number {
    const live = this.live(now);
    let used = live.reduce((total, charge) => total + charge.amount, pending);
    if (used === 0 || used + amount <= capacity) return now;
    for (const charge of live) {
      used -= charge.amount;
      if (used <= 0 || used + amount <= capacity) return charge.at + this.windowMs + this.expiry.marginMs;
    }
    return pending > 0 ? now + this.windowMs + this.expiry.marginMs : now;
  }
}
