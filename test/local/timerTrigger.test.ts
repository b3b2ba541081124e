import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { TimerTrigger, parseSchedule } from '../../src/local/timerTrigger.js';

const at = (iso: string): Date => new Date(iso);

describe('NCRONTAB schedules of the local timer trigger', () => {
  it.each([
    ['0 */1 * * * *', '2025-03-04T10:20:30.500Z', '2025-03-04T10:21:00.000Z'],
    ['0 */5 * * * *', '2025-03-04T10:20:00.000Z', '2025-03-04T10:25:00.000Z'],
    ['*/1 * * * * *', '2025-03-04T10:20:30.000Z', '2025-03-04T10:20:31.000Z'],
    ['*/15 * * * * *', '2025-03-04T10:20:46.000Z', '2025-03-04T10:21:00.000Z'],
    ['30 15 9 * * 1-5', '2025-03-07T10:00:00.000Z', '2025-03-10T09:15:30.000Z'],
    ['0 0 0 1 1 *', '2025-03-04T10:20:30.000Z', '2026-01-01T00:00:00.000Z'],
    ['0 0,30 8-9 * * *', '2025-03-04T08:45:00.000Z', '2025-03-04T09:00:00.000Z'],
  ])('%s after %s is %s', (expression, after, next) => {
    expect(parseSchedule(expression).next(at(after)).toISOString()).toBe(next);
  });

  it.each(['* * * * *', '0 */0 * * * *', '0 61 * * * *', '0 0 * * * MON', '0 5-2 * * * *'])(
    'rejects %s, naming the schedule',
    (expression) => {
      expect(() => parseSchedule(expression)).toThrow(expression);
    },
  );

  it('fires on schedule, one invocation at a time, and stop waits for the running one', async () => {
    const calls: { isPastDue: boolean; at: number }[] = [];
    let running = 0;
    let overlapped = false;
    const trigger = new TimerTrigger({
      functionName: 'tick',
      schedule: parseSchedule('*/1 * * * * *'),
      logger: silentLogger,
      handler: async ({ timer }) => {
        running += 1;
        overlapped ||= running > 1;
        calls.push({ isPastDue: timer.isPastDue, at: Date.now() });
        await new Promise((resolve) => setTimeout(resolve, 1500));
        running -= 1;
      },
    });
    trigger.start();
    const deadline = Date.now() + 10_000;
    while (calls.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await trigger.stop();
    expect(running).toBe(0);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(overlapped).toBe(false);
    // The handler outlasts the period: the next occurrence comes after it, not during it.
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(1500);
    const count = calls.length;
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(calls.length).toBe(count);
  });
});
