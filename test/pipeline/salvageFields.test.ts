/**
 * The salvage rule on its own: after the repair, only format checks on leaf values may be set to null,
 * and only when the nulled answer validates; anything about the answer's shape or types still fails.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { rejectionWarning, salvageFields, withRejections, type RejectedField } from '../../src/pipeline/salvageFields.js';
import { validatorFor } from '../../src/profiles/jsonSchemaSubset.js';
import { receiptSchema } from '../../src/profiles/receipt.js';
import { exampleResult } from '../support/profileExamples.js';

/** Validates `data` and salvages what failed, as askModel does after the repair. */
function salvage(schema: z.ZodType, data: unknown) {
  const parsed = schema.safeParse(data);
  if (parsed.success) throw new Error('expected the data to fail validation');
  return salvageFields(schema, data, parsed.error.issues);
}

const receipt = (overrides: Record<string, unknown>): Record<string, unknown> => ({
  ...(exampleResult('receipt') as Record<string, unknown>),
  ...overrides,
});

describe('salvageFields', () => {
  it('sets a nullable field that fails a refinement to null and keeps its value and the reason', () => {
    const data = receipt({ time: '2:05 PM' });
    const salvaged = salvage(receiptSchema, data);
    expect(salvaged?.data).toEqual(receipt({ time: null }));
    expect(salvaged?.rejected).toEqual([{ path: 'time', value: '2:05 PM', reason: 'expected a time as HH:MM (24-hour)' }]);
    // The answer itself is left as it came: failure records and evidence show what the model said.
    expect(data['time']).toBe('2:05 PM');
  });

  it('salvages every failing field at once', () => {
    const salvaged = salvage(receiptSchema, receipt({ date: '15/03/2024', time: 'noon' }));
    expect(salvaged?.data).toMatchObject({ date: null, time: null });
    expect(salvaged?.rejected.map((field) => field.path)).toEqual(['date', 'time']);
  });

  it('fails when any other issue comes with it: a wrong type, an unknown key, a missing key', () => {
    expect(salvage(receiptSchema, receipt({ time: '2:05 PM', total: '12.50' }))).toBeUndefined();
    expect(salvage(receiptSchema, receipt({ time: '2:05 PM', note: 'thanks' }))).toBeUndefined();
    const { merchant: _merchant, ...missing } = receipt({ time: '2:05 PM' });
    expect(salvage(receiptSchema, missing)).toBeUndefined();
  });

  it('fails when the field may not be null: re-validating the nulled answer decides', () => {
    const schema = z.strictObject({ code: z.string().refine((value) => /^[A-Z]{3}$/.test(value), 'expected a code of 3 capitals') });
    expect(salvage(schema, { code: 'usd' })).toBeUndefined();
  });

  it('never nulls an array or an object, even a nullable one: their checks are about the shape', () => {
    const schema = z.strictObject({
      tags: z.array(z.string()).min(1).nullable(),
      period: z
        .strictObject({ from: z.string(), to: z.string() })
        .refine((value) => value.from <= value.to, 'expected from before to')
        .nullable(),
    });
    expect(salvage(schema, { tags: [], period: null })).toBeUndefined();
    expect(salvage(schema, { tags: null, period: { from: 'b', to: 'a' } })).toBeUndefined();
  });

  it('salvages the format keywords of a user-defined JSON Schema on nullable values', () => {
    const schema = validatorFor({
      type: 'object',
      additionalProperties: false,
      required: ['plate', 'fine', 'issued'],
      properties: {
        plate: { type: ['string', 'null'], pattern: '^[A-Z]{1,3}-[A-Z]{1,2} \\d{1,4}$' },
        fine: { type: ['number', 'null'], minimum: 0 },
        issued: { type: 'string', format: 'date' },
      },
    });
    const salvaged = salvage(schema, { plate: 'ka xy 123', fine: -40, issued: '2024-03-15' });
    expect(salvaged?.data).toEqual({ plate: null, fine: null, issued: '2024-03-15' });
    expect(salvaged?.rejected).toEqual([
      { path: 'plate', value: 'ka xy 123', reason: 'Invalid string: must match pattern /^[A-Z]{1,3}-[A-Z]{1,2} \\d{1,4}$/' },
      { path: 'fine', value: -40, reason: 'Too small: expected number to be >=0' },
    ]);
    // `issued` is not nullable: a bad date there fails the answer.
    expect(salvage(schema, { plate: null, fine: null, issued: '15 March' })).toBeUndefined();
  });

  it('joins the reasons of several checks on one field', () => {
    const schema = validatorFor({
      type: 'object',
      additionalProperties: false,
      required: ['code'],
      properties: { code: { type: ['string', 'null'], minLength: 3, pattern: '^[A-Z]+$' } },
    });
    expect(salvage(schema, { code: 'x' })?.rejected).toEqual([
      {
        path: 'code',
        value: 'x',
        reason: 'Too small: expected string to have >=3 characters; Invalid string: must match pattern /^[A-Z]+$/',
      },
    ]);
  });

  it('reaches leaves inside arrays', () => {
    const schema = z.strictObject({ visits: z.array(z.strictObject({ at: receiptSchema.shape.time })) });
    const salvaged = salvage(schema, { visits: [{ at: '09:30' }, { at: '9.30am' }] });
    expect(salvaged?.data).toEqual({ visits: [{ at: '09:30' }, { at: null }] });
    expect(salvaged?.rejected[0]?.path).toBe('visits[1].at');
  });
});

describe('rejectionWarning', () => {
  it('says what the value is not, when the reason is one expectation', () => {
    expect(rejectionWarning({ path: 'time', value: '2:05 PM', reason: 'expected a time as HH:MM (24-hour)' })).toBe(
      'time: "2:05 PM" is not a time as HH:MM (24-hour); set to null',
    );
  });

  it('quotes other reasons and shortens a long value', () => {
    const field: RejectedField = { path: 'notes', value: 'x'.repeat(500), reason: 'Too big: expected string to have <=100 characters' };
    expect(rejectionWarning(field)).toBe(
      `notes: "${'x'.repeat(79)}... fails a format check (Too big: expected string to have <=100 characters); set to null`,
    );
  });
});

describe('withRejections', () => {
  const time: RejectedField = { path: 'time', value: '2:05 PM', reason: 'expected a time as HH:MM (24-hour)' };

  it("marks the provider's own evidence for the field and leaves the rest alone", () => {
    const evidence = { time: { confidence: 0.85, text: '2:05 PM', page: 2 }, total: { confidence: 0.9, text: '10.52' } };
    expect(withRejections(evidence, [time])).toEqual({
      time: { confidence: 0.85, text: '2:05 PM', page: 2, rejected: { value: '2:05 PM', reason: 'expected a time as HH:MM (24-hour)' } },
      total: { confidence: 0.9, text: '10.52' },
    });
    expect(evidence.time).not.toHaveProperty('rejected');
  });

  it('adds an entry of confidence 0 where the provider gave no evidence (a model answer)', () => {
    expect(withRejections(undefined, [{ path: 'fine', value: -40, reason: 'Too small: expected number to be >=0' }])).toEqual({
      fine: { confidence: 0, text: '-40', rejected: { value: -40, reason: 'Too small: expected number to be >=0' } },
    });
  });
});
