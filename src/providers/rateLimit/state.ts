/** What the limiter tells about itself (logs, the state blob ops and `npm run stats` read), and when it tells it. */
import type { Logger } from '../../log.js';

/** Where a budget's capacity comes from. `unreported`: the service sends no such header, nothing is enforced. */
export type BudgetSource = 'configured' | 'learned' | 'learning' | 'unreported';

export interface BudgetState {
  source: BudgetSource;
  /** The per-minute figure configured or learnt; null while unknown. */
  perMinute: number | null;
  /** What the window admits at the current factor; null while unknown. */
  capacity: number | null;
  /** Charged by this process within the window. */
  used: number;
  /** Charged by others within the window, as the service's headers revealed it. */
  external: number;
  /** The last `x-ratelimit-remaining-*` value the service sent. */
  lastRemaining: number | null;
}

export interface LimiterState {
  /** Host name and process id: one instance of the app. */
  instance: string;
  at: string;
  windowSeconds: number;
  /** 1 = the whole capacity; lowered by 429s (AIMD). */
  factor: number;
  tokens: BudgetState;
  requests: BudgetState;
  inFlight: number;
  waiting: number;
  admitted: number;
  /** 429s the service answered, SDK retries included. */
  rateLimited: number;
  /** Calls that gave up after waiting `maxWaitMs` (their jobs went back to the queue). */
  waitTimeouts: number;
  /** The longest any admitted call waited for budget. */
  maxWaitedMs: number;
  /** What is left of the pause the last 429's retry-after asked for. */
  pausedForMs: number;
  /** How much longer than the window a charge is kept (grows when 429s show the books run early). */
  expiryMarginMs: number;
}

const DEFAULT_REPORT_EVERY_MS = 10_000;

export interface ReportOptions {
  logger?: Logger;
  /** Receives the state every `reportEveryMs` while it changes (and once more when it settles). */
  report?: (state: LimiterState) => Promise<void> | void;
  reportEveryMs?: number;
}

/** Reports while the state changes, and once more after it settled so the last report shows an idle window. */
export class StateReporter {
  private interval: NodeJS.Timeout | undefined;
  private reporting: Promise<void> | undefined;
  private version = 0;
  private reportedVersion = 0;
  private settled = true;
  private closed = false;

  constructor(
    private readonly snapshot: () => LimiterState,
    private readonly options: ReportOptions,
  ) {}

  /** Something changed: the reporter starts with the first call and reports at once. */
  touch(): void {
    this.version += 1;
    this.settled = false;
    if (this.interval !== undefined || this.closed || this.options.report === undefined) return;
    this.interval = setInterval(() => void this.report(), this.options.reportEveryMs ?? DEFAULT_REPORT_EVERY_MS);
    this.interval.unref();
    void this.report();
  }

  /** Stops reporting, after a last report of whatever changed since the one before. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.interval);
    await this.reporting;
    if (this.version !== this.reportedVersion) await this.report();
  }

  private async report(): Promise<void> {
    if (this.reporting !== undefined || (this.version === this.reportedVersion && this.settled)) return;
    this.reportedVersion = this.version;
    const state = this.snapshot();
    this.settled = state.inFlight === 0 && state.waiting === 0 && state.tokens.used === 0 && state.tokens.external === 0;
    this.options.logger?.info('limiter.state', { ...state });
    try {
      this.reporting = Promise.resolve(this.options.report?.(state));
      await this.reporting;
    } catch (error) {
      this.options.logger?.warn('limiter.report_failed', { message: error instanceof Error ? error.message : String(error) });
    } finally {
      this.reporting = undefined;
    }
  }
}
