/** How long a rate-limited job waits before it is delivered again. */
import { describe, expect, it } from 'vitest';
import { DEFER_BACKOFF_MAX_MS, DEFER_MAX_MS, DEFER_MIN_MS, deferralDelayMs } from '../../src/pipeline/deferJob.js';

const lowest = (): number => 0;
const highest = (): number => 0.999_999;

describe('deferralDelayMs', () => {
  it("waits at least the service's retry-after, adding up to 20% so that jobs told the same wait spread out", () => {
    expect(deferralDelayMs(30_000, 0, lowest)).toBe(30_000);
    expect(deferralDelayMs(30_000, 5, highest)).toBeCloseTo(36_000, -1);
    for (let i = 0; i < 100; i++) {
      const delay = deferralDelayMs(30_000, 3);
      expect(delay).toBeGreaterThanOrEqual(30_000);
      expect(delay).toBeLessThanOrEqual(36_000);
    }
  });

  it('backs off from 10 s, doubling per deferral up to 15 minutes, when the service named no wait', () => {
    expect([0, 1, 2, 3].map((n) => deferralDelayMs(undefined, n, lowest))).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(deferralDelayMs(undefined, 30, lowest)).toBe(DEFER_BACKOFF_MAX_MS);
  });

  it('never comes back within 2 s, and never waits more than a day', () => {
    expect(deferralDelayMs(0, 0, lowest)).toBe(DEFER_MIN_MS);
    expect(deferralDelayMs(150, 0, highest)).toBeLessThan(DEFER_MIN_MS * 1.2 + 1);
    expect(deferralDelayMs(30 * 24 * 3600_000, 0, highest)).toBe(DEFER_MAX_MS);
  });
});
