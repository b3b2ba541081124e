/** The recent throughput and the bounded depth history: pure computations, no storage. */
import { describe, expect, it } from 'vitest';
import { DepthHistory } from '../../src/ops/depthHistory.js';
import { recentThroughput } from '../../src/ops/throughput.js';

const NOW = new Date('2025-11-25T18:00:00.000Z');
const ago = (seconds: number): Date => new Date(NOW.getTime() - seconds * 1000);
/** `count` results, one every 60/perMinute seconds, the newest `endedAgo` seconds ago. */
const burst = (count: number, perMinute: number, endedAgo = 0): Date[] =>
  Array.from({ length: count }, (_, i) => ago(endedAgo + (i * 60) / perMinute));

describe('recentThroughput', () => {
  it('reads a burst of 25 files/min as about 25/min, where the hour average reads 0.83', () => {
    const results = burst(50, 25);
    // Over the hour: 50 / 60 min.
    expect(Math.round((50 / 60) * 100) / 100).toBe(0.83);
    const rate = recentThroughput(results, NOW);
    expect(rate.results).toBe(50);
    // The first result came 117.6 s ago: the span is 118 s.
    expect(rate.windowSeconds).toBe(118);
    expect(rate.perMinute).toBeCloseTo(25.4, 1);
  });

  it('takes at most the last 5 minutes of a long steady flow', () => {
    const rate = recentThroughput(burst(600, 25), NOW);
    expect(rate.windowSeconds).toBe(300);
    expect(rate.results).toBe(126);
    expect(rate.perMinute).toBe(25.2);
  });

  it('takes at least 30 s, so a first result does not read as a huge rate', () => {
    expect(recentThroughput([ago(2)], NOW)).toEqual({ windowSeconds: 30, results: 1, perMinute: 2 });
  });

  it('falls once a burst has ended, to 0 when its last result is over 5 minutes old', () => {
    const ended = (secondsAgo: number): number => recentThroughput(burst(50, 25, secondsAgo), NOW).perMinute;
    expect(ended(60)).toBeLessThan(ended(0));
    expect(ended(180)).toBeLessThan(ended(60));
    expect(ended(301)).toBe(0);
  });

  it('is 0 over the whole window with no recent result, and ignores results from after now (clock skew)', () => {
    expect(recentThroughput([], NOW)).toEqual({ windowSeconds: 300, results: 0, perMinute: 0 });
    expect(recentThroughput([ago(-5), ago(400)], NOW)).toEqual({ windowSeconds: 300, results: 0, perMinute: 0 });
  });
});

describe('DepthHistory', () => {
  it('keeps the last samples, oldest first, bounded by its capacity', () => {
    const history = new DepthHistory(3);
    for (let i = 0; i < 5; i++) history.add({ at: ago(50 - i).toISOString(), jobs: i, poison: 0 });
    expect(history.samples().map((sample) => sample.jobs)).toEqual([2, 3, 4]);
    history.samples().pop();
    expect(history.samples()).toHaveLength(3);
  });

  it('refuses a capacity below one sample', () => {
    expect(() => new DepthHistory(0)).toThrow(/at least 1 sample, got 0/);
  });
});
