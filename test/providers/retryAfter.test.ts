/** The wait a model service asks for, as the limiter, the openai provider and deferral read it from headers and errors. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TransientError } from '../../src/errors.js';
import { retryAfterMs, retryAfterOf } from '../../src/providers/retryAfter.js';

const NOW = Date.parse('2025-11-25T18:20:00Z');
const read = (values: Record<string, string>): number | undefined => retryAfterMs(new Headers(values));

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('retryAfterMs', () => {
  it('reads 0 as a wait: retry now', () => {
    expect(read({ 'retry-after': '0' })).toBe(0);
    expect(read({ 'retry-after-ms': '0' })).toBe(0);
    // retry-after-ms is the precise figure: its 0 is not overruled by the rounded seconds.
    expect(read({ 'retry-after-ms': '0', 'retry-after': '20' })).toBe(0);
  });

  it('reads retry-after in seconds, fractions included', () => {
    expect(read({ 'retry-after': '3' })).toBe(3_000);
    expect(read({ 'retry-after': '1.5' })).toBe(1_500);
  });

  it('prefers retry-after-ms to retry-after', () => {
    expect(read({ 'retry-after-ms': '2500' })).toBe(2_500);
    expect(read({ 'retry-after-ms': '2500', 'retry-after': '3' })).toBe(2_500);
  });

  it('reads an HTTP date as the time left until it, and a past one as now', () => {
    expect(read({ 'retry-after': new Date(NOW + 30_000).toUTCString() })).toBe(30_000);
    expect(read({ 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' })).toBe(0);
  });

  it('reads garbage as no wait, and falls back to retry-after past a garbled retry-after-ms', () => {
    expect(read({ 'retry-after': 'soon' })).toBeUndefined();
    expect(read({ 'retry-after-ms': 'soon' })).toBeUndefined();
    expect(read({ 'retry-after-ms': 'soon', 'retry-after': '4' })).toBe(4_000);
  });

  it('reads a negative number as no wait, and falls back to retry-after past a negative retry-after-ms', () => {
    expect(read({ 'retry-after': '-3' })).toBeUndefined();
    expect(read({ 'retry-after-ms': '-5' })).toBeUndefined();
    expect(read({ 'retry-after-ms': '-5', 'retry-after': '2' })).toBe(2_000);
  });

  it('reads absent headers as no wait', () => {
    expect(read({})).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});

describe('retryAfterOf', () => {
  const of = (details: Record<string, unknown> | undefined): number | undefined =>
    retryAfterOf(new TransientError('rate_limited', 'the model endpoint is rate limiting', details === undefined ? {} : { details }));

  it("reads an error's retryAfterMs, 0 included", () => {
    expect(of({ status: 429, retryAfterMs: 1_500 })).toBe(1_500);
    expect(of({ retryAfterMs: 0 })).toBe(0);
  });

  it('reads anything but a finite, non-negative number as no wait', () => {
    for (const retryAfterMs of [Number.NaN, Number.POSITIVE_INFINITY, -1, '1500', null]) expect(of({ retryAfterMs })).toBeUndefined();
    expect(of({ status: 429 })).toBeUndefined();
    expect(of(undefined)).toBeUndefined();
  });
});
