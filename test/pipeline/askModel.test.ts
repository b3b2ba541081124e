/**
 * The answer's way through validation, repair and salvage, with a small provider that answers from a
 * script: a format fault gets its repair request first; only what the repair leaves is set to null;
 * a structural fault after the repair still fails the record.
 */
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors.js';
import { askModel } from '../../src/pipeline/askModel.js';
import { receiptProfile } from '../../src/profiles/receipt.js';
import type { Profile } from '../../src/profiles/types.js';
import type { AnalysisRequest, AnalysisResponse, Usage, VisionProvider } from '../../src/providers/types.js';
import { exampleResult } from '../support/profileExamples.js';

const profile = receiptProfile as Profile;
const good = exampleResult('receipt');
const TIME_ISSUE = 'time: expected a time as HH:MM (24-hour)';

/** Answers each call with the next scripted data (a string is sent as raw, non-JSON text) and keeps the requests. */
function scripted(...answers: unknown[]): VisionProvider & { requests: AnalysisRequest[] } {
  const requests: AnalysisRequest[] = [];
  return {
    name: 'openai',
    requests,
    analyze(request): Promise<AnalysisResponse> {
      requests.push(request);
      const answer = answers[requests.length - 1];
      const raw = typeof answer === 'string';
      return Promise.resolve({
        data: raw ? undefined : answer,
        rawText: raw ? answer : JSON.stringify(answer),
        model: 'gpt-4o-2024-08-06',
        usage: { promptTokens: 100, completionTokens: 10 },
        warnings: [],
      });
    },
    close: () => Promise.resolve(),
  };
}

const ask = (provider: VisionProvider, spent: Usage = { promptTokens: null, completionTokens: null }) =>
  askModel(provider, { profile, images: [] }, spent);

describe('askModel: format faults', () => {
  it('asks for a repair before salvaging anything: a corrected time is kept', async () => {
    const provider = scripted({ ...good, time: '2:05 PM' }, { ...good, time: '14:05' });
    const answer = await ask(provider);
    expect(provider.requests[1]?.repair?.issues).toEqual([TIME_ISSUE]);
    expect(answer.data).toEqual({ ...good, time: '14:05' });
    expect(answer.response.evidence).toBeUndefined();
    expect(answer.warnings).toEqual([`the first answer did not match the "receipt" schema (${TIME_ISSUE}); a repair request corrected it`]);
  });

  it('sets a time still wrong after the repair to null, with the value and reason in the warnings and the evidence', async () => {
    const spent: Usage = { promptTokens: null, completionTokens: null };
    const provider = scripted({ ...good, time: '2:05 PM' }, { ...good, time: '2:05 PM' });
    const answer = await ask(provider, spent);
    expect(provider.requests).toHaveLength(2);
    expect(answer.data).toEqual({ ...good, time: null });
    expect(answer.warnings).toEqual([
      `the first answer did not match the "receipt" schema (${TIME_ISSUE}); a repair request did not correct every field`,
      'time: "2:05 PM" is not a time as HH:MM (24-hour); set to null',
    ]);
    expect(answer.response.evidence).toEqual({
      time: { confidence: 0, text: '2:05 PM', rejected: { value: '2:05 PM', reason: 'expected a time as HH:MM (24-hour)' } },
    });
    expect(spent).toEqual({ promptTokens: 200, completionTokens: 20 });
  });

  it('fails as before when the repaired answer also has a structural fault', async () => {
    const provider = scripted({ ...good, time: '2:05 PM' }, { ...good, time: '2:05 PM', total: '10.52' });
    const failure = await ask(provider).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PermanentError);
    expect(failure).toMatchObject({
      code: 'schema_validation_failed',
      details: { issues: [TIME_ISSUE, 'total: expected number, received string'], firstIssues: [TIME_ISSUE] },
    });
  });

  it('fails when the repaired answer is not JSON', async () => {
    const provider = scripted({ ...good, time: '2:05 PM' }, 'the time is 2:05 PM');
    await expect(ask(provider)).rejects.toMatchObject({
      code: 'schema_validation_failed',
      details: { issues: ['(root): the answer is not JSON'] },
    });
  });
});
