import { describe, expect, it } from 'vitest';
import { completionBudget, planFor, planRequest, type RequestSettings } from '../../src/models/requestShape.js';

const AZURE: RequestSettings = { shape: 'auto', unknownModelShape: 'reasoning', reasoningEffort: 'low' };
const LOCAL: RequestSettings = { ...AZURE, unknownModelShape: 'classic' };

describe('planRequest', () => {
  it("takes a known family's shape, and the endpoint's for a name the table does not know", () => {
    expect(planRequest('gpt-4o-2024-11-20', AZURE)).toEqual({ shape: 'classic' });
    expect(planRequest('gpt-4.1-mini', AZURE)).toEqual({ shape: 'classic' });
    expect(planRequest('gpt-5.1', LOCAL)).toEqual({ shape: 'reasoning', effort: 'low' });
    expect(planRequest('o4-mini', AZURE)).toEqual({ shape: 'reasoning', effort: 'low' });
    expect(planRequest('my-deployment', AZURE)).toEqual({ shape: 'reasoning', effort: 'low' });
    expect(planRequest('llava:13b', LOCAL)).toEqual({ shape: 'classic' });
  });

  it('MODEL_REQUEST_SHAPE overrides the table', () => {
    expect(planRequest('gpt-5.1', { ...AZURE, shape: 'classic' })).toEqual({ shape: 'classic' });
    expect(planRequest('qwen2.5-vl', { ...LOCAL, shape: 'reasoning', reasoningEffort: 'medium' })).toEqual({
      shape: 'reasoning',
      effort: 'medium',
    });
  });

  it("sends a profile's model the configured effort, or the next stronger one it accepts", () => {
    expect(planRequest('gpt-5-mini', { ...AZURE, reasoningEffort: 'none' })).toEqual({ shape: 'reasoning', effort: 'minimal' });
    expect(planRequest('gpt-5.1', { ...AZURE, reasoningEffort: 'minimal' })).toEqual({ shape: 'reasoning', effort: 'low' });
    expect(planRequest('o3', { ...AZURE, reasoningEffort: 'none' })).toEqual({ shape: 'reasoning', effort: 'low' });
    expect(planRequest('gpt-5', { ...AZURE, reasoningEffort: 'xhigh' })).toEqual({ shape: 'reasoning', effort: 'high' });
    expect(planRequest('gpt-5.4', { ...AZURE, reasoningEffort: 'xhigh' })).toEqual({ shape: 'reasoning', effort: 'xhigh' });
  });
});

describe('completionBudget', () => {
  it('is the answer alone for classic requests and the answer plus a reasoning allowance otherwise', () => {
    expect(completionBudget({ shape: 'classic' }, 1200)).toBe(1200);
    expect(completionBudget({ shape: 'reasoning', effort: 'none' }, 1200)).toBe(1200);
    const low = completionBudget({ shape: 'reasoning', effort: 'low' }, 1200);
    const high = completionBudget({ shape: 'reasoning', effort: 'high' }, 1200);
    expect(low).toBeGreaterThan(1200);
    expect(high).toBeGreaterThan(low);
  });

  it("planFor uses a profile's own model before VISION_MODEL, and a retry's larger budget before both", () => {
    const profile = { maxOutputTokens: 600 };
    expect(planFor({ profile }, 'gpt-4o', AZURE)).toEqual({ plan: { shape: 'classic' }, budget: 600 });
    expect(planFor({ profile: { ...profile, model: 'gpt-5.1' } }, 'gpt-4o', AZURE).plan.shape).toBe('reasoning');
    expect(planFor({ profile, maxCompletionTokens: 9000 }, 'gpt-5.1', AZURE).budget).toBe(9000);
  });
});
