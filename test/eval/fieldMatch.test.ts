import { describe, expect, it } from 'vitest';
import { compareFields, matches, normaliseText } from '../../eval/fieldMatch.js';

describe('normaliseText', () => {
  it('folds case, applies NFKC and keeps only letters and digits', () => {
    expect(normaliseText('  ACME  Corp., Ltd. ')).toBe('acmecorpltd');
    // NFKC: the "fi" ligature and full-width digits become plain letters and digits.
    expect(normaliseText('ﬁsh №１２')).toBe('fishno12');
    expect(normaliseText('Café')).toBe(normaliseText('Cafe\u0301'));
    expect(normaliseText('Café')).not.toBe(normaliseText('Cafe'));
  });
});

describe('matches', () => {
  it('compares text after normalisation', () => {
    expect(matches('Acme Corp.', 'ACME CORP')).toBe(true);
    expect(matches('INV-2024/001', 'inv 2024 001')).toBe(true);
    expect(matches('INV-2024/001', 'INV-2024/002')).toBe(false);
    expect(matches('12', 12)).toBe(false);
  });

  it('takes numbers within 0.005 and no further', () => {
    expect(matches(12.5, 12.5)).toBe(true);
    expect(matches(12.5, 12.504)).toBe(true);
    expect(matches(12.5, 12.496)).toBe(true);
    expect(matches(12.5, 12.51)).toBe(false);
    expect(matches(12.5, '12.50')).toBe(false);
    expect(matches(12.5, null)).toBe(false);
  });

  it('accepts only null (or a missing value) for an expected null', () => {
    expect(matches(null, null)).toBe(true);
    expect(matches(null, undefined)).toBe(true);
    expect(matches(null, '')).toBe(false);
    expect(matches(null, 0)).toBe(false);
    expect(matches('Acme', null)).toBe(false);
  });

  it('compares arrays element by element, with the same length', () => {
    expect(matches(['Coffee', 3.5], ['coffee', 3.5])).toBe(true);
    expect(matches(['Coffee', 3.5], ['coffee'])).toBe(false);
    expect(matches(['Coffee', 3.5], ['coffee', 3.5, 'tea'])).toBe(false);
    expect(matches(['Coffee', 3.5], ['tea', 3.5])).toBe(false);
    expect(matches([], 'x')).toBe(false);
  });

  it('compares objects on the expected keys only', () => {
    const line = { description: 'Coffee', total: 3.5 };
    expect(matches(line, { description: 'COFFEE', total: 3.5, quantity: 1 })).toBe(true);
    expect(matches(line, { description: 'Coffee' })).toBe(false);
    expect(matches(line, { description: 'Coffee', total: 3.6 })).toBe(false);
    expect(matches(line, [line])).toBe(false);
    expect(matches(line, null)).toBe(false);
    expect(matches([{ total: 1 }, { total: 2 }], [{ total: 1 }, { total: 2, description: 'x' }])).toBe(true);
  });
});

describe('compareFields', () => {
  it('gives one outcome per expected field, with what was wanted and what came', () => {
    const outcomes = compareFields(
      { merchant: 'Acme', total: 10, date: null },
      { merchant: 'ACME.', total: 11, date: null, currency: 'USD' },
    );
    expect(outcomes).toEqual([
      { field: 'merchant', ok: true, wanted: 'Acme', got: 'ACME.' },
      { field: 'total', ok: false, wanted: 10, got: 11 },
      { field: 'date', ok: true, wanted: null, got: null },
    ]);
  });

  it('misses every field of a failed record, an expected null included', () => {
    const outcomes = compareFields({ merchant: 'Acme', date: null }, undefined);
    expect(outcomes.map((outcome) => [outcome.field, outcome.ok, outcome.got])).toEqual([
      ['merchant', false, null],
      ['date', false, null],
    ]);
  });
});
