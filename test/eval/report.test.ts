import { describe, expect, it } from 'vitest';
import { EMPTY_USAGE, namedSource, type ResultRecord } from '../../src/contracts/resultRecord.js';
import type { LabelledFile } from '../../eval/labelledSet.js';
import { formatReports, p95, scoreConfiguration } from '../../eval/report.js';

function record(blob: string, totalMs: number, data: unknown, extra: Partial<ResultRecord> = {}): ResultRecord {
  return {
    schemaVersion: 1,
    status: 'succeeded',
    source: namedSource('uploads', blob, '"etag"', 10),
    profile: blob.startsWith('invoices/') ? 'invoice' : 'receipt',
    provider: { name: 'offline', model: 'tesseract' },
    detail: null,
    usage: EMPTY_USAGE,
    timings: { downloadMs: 1, prepareMs: 1, modelMs: 1, totalMs },
    attempt: 1,
    data,
    warnings: [],
    createdAt: '2026-01-01T00:00:00Z',
    ...extra,
  };
}

const file = (blobName: string, expected: Record<string, unknown>): LabelledFile => ({
  path: `/set/${blobName}`,
  blobName,
  profile: blobName.startsWith('invoices/') ? 'invoice' : 'receipt',
  expected,
});

describe('p95', () => {
  it('is the nearest rank: the smallest value at least 95% of the values do not exceed', () => {
    const hundred = Array.from({ length: 100 }, (_, index) => 100 - index); // 100..1, unsorted
    expect(p95(hundred)).toBe(95);
    expect(p95(Array.from({ length: 20 }, (_, index) => index + 1))).toBe(19);
    expect(p95(Array.from({ length: 21 }, (_, index) => index + 1))).toBe(20);
    expect(p95([7, 3])).toBe(7);
    expect(p95([5])).toBe(5);
    expect(p95([])).toBe(0);
  });
});

describe('scoreConfiguration', () => {
  const files = [
    file('receipts/clean/a.png', { merchant: 'Cafe', total: 4.5 }),
    file('receipts/degraded/b.jpg', { merchant: 'Deli', total: 12 }),
    file('invoices/clean/c.png', { vendor: 'Acme', total: 100 }),
  ];
  const records = new Map([
    ['receipts/clean/a.png', record('receipts/clean/a.png', 100, { merchant: 'CAFE', total: 4.5 })],
    ['receipts/degraded/b.jpg', record('receipts/degraded/b.jpg', 300, { merchant: 'Deli', total: 21 })],
    [
      'invoices/clean/c.png',
      record('invoices/clean/c.png', 200, undefined, {
        status: 'failed',
        error: { code: 'unreadable_image', message: 'no text', retryable: false },
      }),
    ],
  ]);
  const report = scoreConfiguration({ label: 'current settings', settings: {} }, files, records);

  it('counts exact matches per profile and field, and per folder', () => {
    expect(report.fields).toEqual({
      'receipt.merchant': { hits: 2, total: 2 },
      'receipt.total': { hits: 1, total: 2 },
      'invoice.vendor': { hits: 0, total: 1 },
      'invoice.total': { hits: 0, total: 1 },
    });
    expect(report.folders['receipts/degraded']).toEqual({
      'receipt.merchant': { hits: 1, total: 1 },
      'receipt.total': { hits: 0, total: 1 },
    });
    expect(Object.keys(report.folders).sort()).toEqual(['invoices/clean', 'receipts/clean', 'receipts/degraded']);
    expect(report.failed).toBe(1);
    expect(report.time).toEqual({ meanMs: 200, p95Ms: 300 });
    expect(report.provider).toBe('offline');
    expect(report.tokens).toBeNull();
    expect(report.cost).toBeNull();
  });

  it('averages tokens and cost over the files that report them', () => {
    const billed = (blob: string, prompt: number, completion: number, cost: number): ResultRecord =>
      record(
        blob,
        1000,
        { merchant: 'Cafe', total: 4.5 },
        {
          provider: { name: 'openai', model: 'gpt-5-mini' },
          usage: { ...EMPTY_USAGE, promptTokens: prompt, completionTokens: completion, estimatedCostUsd: cost },
        },
      );
    const two = files.slice(0, 2);
    const paid = scoreConfiguration(
      { label: 'AZURE_OPENAI_DEPLOYMENT=gpt-5-mini', settings: { AZURE_OPENAI_DEPLOYMENT: 'gpt-5-mini' } },
      two,
      new Map([
        ['receipts/clean/a.png', billed('receipts/clean/a.png', 1000, 100, 0.002)],
        ['receipts/degraded/b.jpg', billed('receipts/degraded/b.jpg', 1200, 301, 0.004)],
      ]),
    );
    expect(paid.tokens).toEqual({ prompt: 1100, completion: 201 });
    expect(paid.cost?.perFileUsd).toBeCloseTo(0.003, 10);
    expect(paid.cost?.totalUsd).toBeCloseTo(0.006, 10);
    expect(paid.model).toBe('gpt-5-mini');
  });

  it('refuses to score a file that has no record', () => {
    expect(() => scoreConfiguration({ label: 'x', settings: {} }, files, new Map())).toThrow('no record for receipts/clean/a.png');
  });

  it('prints the rates with their counts, the times, and every miss with what came and what was wanted', () => {
    const text = formatReports([report]);
    expect(text).toMatch(/receipt\.merchant\s+100\.0% 2\/2/);
    expect(text).toMatch(/receipt\.total\s+50\.0% 1\/2/);
    expect(text).toMatch(/invoice\.vendor\s+0\.0% 0\/1/);
    expect(text).toMatch(/receipts\/degraded\/ receipt\.total\s+0\.0% 0\/1/);
    expect(text).toMatch(/failed records\s+1/);
    expect(text).toMatch(/mean time\s+200 ms/);
    expect(text).toMatch(/p95 time\s+300 ms/);
    expect(text).toMatch(/tokens in \/ out\s+-/);
    expect(text).toContain('misses (current settings): 3');
    expect(text).toContain('  receipts/degraded/b.jpg total: got 21, wanted 12');
    expect(text).toContain('  invoices/clean/c.png vendor: got a failed record (unreadable_image: no text), wanted "Acme"');
    expect(text).not.toContain('a.png');
  });
});
