/**
 * The timer trigger as the Functions host runs it, enough for a development host: six-field NCRONTAB
 * schedules (`{second} {minute} {hour} {day} {month} {day-of-week}`, UTC) with `*`, numbers, ranges,
 * lists and steps; one invocation at a time (a late occurrence runs once, with `isPastDue`); a failed
 * invocation is logged and the schedule goes on. Names (MON, JAN) and `runOnStartup` are not emulated.
 */
import { randomUUID } from 'node:crypto';
import type { Timer } from '@azure/functions';
import type { Logger } from '../log.js';

const FIELDS = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day-of-week', min: 0, max: 6 },
] as const;

export interface Schedule {
  expression: string;
  /** The first occurrence strictly after `after`. */
  next(after: Date): Date;
}

function parseField(text: string, field: (typeof FIELDS)[number], expression: string): ReadonlySet<number> {
  const allowed = new Set<number>();
  const fail = (): never => {
    throw new Error(
      `timer schedule "${expression}": the ${field.name} field "${text}" is not a number, range, list or step in ${field.min}-${field.max}`,
    );
  };
  for (const part of text.split(',')) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (match === null) return fail();
    const [, , from, to, step] = match;
    const start = from === undefined ? field.min : Number(from);
    const end = from === undefined ? field.max : to === undefined ? (step === undefined ? start : field.max) : Number(to);
    const by = step === undefined ? 1 : Number(step);
    if (start < field.min || end > field.max || start > end || by < 1) return fail();
    for (let value = start; value <= end; value += by) allowed.add(value);
  }
  return allowed;
}

export function parseSchedule(expression: string): Schedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== FIELDS.length)
    throw new Error(`timer schedule "${expression}": expected six fields (second minute hour day month day-of-week)`);
  const [seconds, minutes, hours, days, months, weekdays] = FIELDS.map((field, i) => parseField(parts[i] ?? '', field, expression)) as [
    ReadonlySet<number>,
    ReadonlySet<number>,
    ReadonlySet<number>,
    ReadonlySet<number>,
    ReadonlySet<number>,
    ReadonlySet<number>,
  ];
  return {
    expression,
    next(after: Date): Date {
      const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
      // Each step moves to the start of the next candidate unit, so a few hundred steps cover years.
      for (let step = 0; step < 100_000; step++) {
        if (!months.has(t.getUTCMonth() + 1)) {
          t.setUTCMonth(t.getUTCMonth() + 1, 1);
          t.setUTCHours(0, 0, 0, 0);
        } else if (!days.has(t.getUTCDate()) || !weekdays.has(t.getUTCDay())) {
          t.setUTCDate(t.getUTCDate() + 1);
          t.setUTCHours(0, 0, 0, 0);
        } else if (!hours.has(t.getUTCHours())) {
          t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
        } else if (!minutes.has(t.getUTCMinutes())) {
          t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
        } else if (!seconds.has(t.getUTCSeconds())) {
          t.setUTCSeconds(t.getUTCSeconds() + 1, 0);
        } else {
          return t;
        }
      }
      throw new Error(`timer schedule "${expression}" has no occurrence`);
    },
  };
}

export interface TimerTriggerOptions {
  functionName: string;
  schedule: Schedule;
  handler: (input: { timer: Timer; invocationId: string }) => Promise<void>;
  logger: Logger;
  now?: () => Date;
}

export class TimerTrigger {
  private timeout: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private last: Date | undefined;
  private stopped = false;

  constructor(private readonly options: TimerTriggerOptions) {}

  start(): void {
    this.scheduleFrom(this.now());
  }

  /** No further occurrences; a running invocation finishes first. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timeout);
    await this.running;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private scheduleFrom(after: Date): void {
    if (this.stopped) return;
    const due = this.options.schedule.next(after);
    this.timeout = setTimeout(
      () => {
        this.running = this.fire(due).finally(() => {
          this.running = undefined;
          this.scheduleFrom(this.now());
        });
      },
      Math.max(0, due.getTime() - this.now().getTime()),
    );
  }

  private async fire(due: Date): Promise<void> {
    const { functionName, schedule, handler, logger } = this.options;
    const started = this.now();
    const timer: Timer = {
      // The host calls an occurrence past due when it runs more than a second late (e.g. after a long invocation).
      isPastDue: started.getTime() - due.getTime() > 1000,
      schedule: { adjustForDST: false },
      scheduleStatus: {
        last: (this.last ?? due).toISOString(),
        next: schedule.next(due).toISOString(),
        lastUpdated: started.toISOString(),
      },
    };
    this.last = due;
    try {
      await handler({ timer, invocationId: randomUUID() });
    } catch (error) {
      logger.warn('host.timer_failed', { function: functionName, message: error instanceof Error ? error.message : String(error) });
    }
  }
}
