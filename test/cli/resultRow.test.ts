/** `npm run results` shows tokens only where a model was asked. */
import { describe, expect, it } from 'vitest';
import { resultRow, tokensCell } from '../../src/cli/resultRow.js';
import { EMPTY_USAGE, RESULT_SCHEMA_VERSION, namedSource, type ResultRecord, type UsageInfo } from '../../src/contracts/resultRecord.js';

function succeeded(provider: ResultRecord['provider'], usage: Partial<UsageInfo>): ResultRecord {
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    status: 'succeeded',
    source: namedSource('uploads', 'a/photo.jpg', '"0x1"', 3),
    profile: 'describe',
    provider,
    detail: 'low',
    usage: { ...EMPTY_USAGE, ...usage },
    timings: { downloadMs: 1, prepareMs: 1, modelMs: 1, totalMs: 12.4 },
    attempt: 1,
    data: {},
    warnings: [],
    createdAt: new Date().toISOString(),
  };
}

describe('tokensCell', () => {
  it('shows no model tokens for the offline provider, whose image estimate is never sent anywhere', () => {
    const record = succeeded({ name: 'offline', model: 'offline' }, { imageTokensEstimated: 85, estimatedCostUsd: 0 });
    expect(tokensCell(record)).toBe('-');
    expect(resultRow(record)).toEqual(['ok', 'a/photo.jpg', 'describe', 'offline', '-', '12 ms', '']);
  });

  it('shows billed tokens for a model answer, else its image estimate', () => {
    const model = { name: 'openai' as const, model: 'gpt-5.1' };
    expect(tokensCell(succeeded(model, { imageTokensEstimated: 85, promptTokens: 412, completionTokens: 96 }))).toBe('412/96');
    expect(tokensCell(succeeded(model, { imageTokensEstimated: 85 }))).toBe('~85 (image, estimated)');
    expect(tokensCell(succeeded(model, {}))).toBe('-');
  });
});
