import { describe, expect, it } from 'vitest';
import { idealAdmissionSpanMs } from '../../bench/idealClient.js';

const rule = { windowMs: 10_000, tokenCapacity: 50_000, requestCapacity: 500 };

describe('idealAdmissionSpanMs', () => {
  it('admits a first window at once, then a window of whole requests every window length', () => {
    // 9 requests of 5248 fit a 50,000-token window (47,232); the 10th waits for the first to expire.
    expect(idealAdmissionSpanMs(Array<number>(9).fill(5248), rule)).toBe(0);
    expect(idealAdmissionSpanMs(Array<number>(10).fill(5248), rule)).toBe(10_000);
    expect(idealAdmissionSpanMs(Array<number>(19).fill(5248), rule)).toBe(20_000);
  });

  it('lets the next request in as soon as enough of the window has expired', () => {
    expect(idealAdmissionSpanMs([30_000, 30_000, 10_000, 10_000], rule)).toBe(10_000);
  });

  it('honours the request limit too', () => {
    expect(idealAdmissionSpanMs(Array<number>(3).fill(1), { ...rule, requestCapacity: 2 })).toBe(10_000);
  });
});
