/**
 * When a value counts as right (docs/evaluation.md): text after Unicode NFKC, case folding and dropping
 * everything but letters and digits; numbers to within half a cent; arrays element by element; objects on
 * the expected keys only; null only for null.
 */

export const normaliseText = (text: string): string =>
  text
    .normalize('NFKC')
    .toLocaleLowerCase('en')
    .replace(/[^\p{L}\p{N}]+/gu, '');

const AMOUNT_TOLERANCE = 0.005;

export function matches(expected: unknown, actual: unknown): boolean {
  if (expected === null || expected === undefined) return actual === null || actual === undefined;
  if (typeof expected === 'number') return typeof actual === 'number' && Math.abs(expected - actual) < AMOUNT_TOLERANCE;
  if (typeof expected === 'string') return typeof actual === 'string' && normaliseText(expected) === normaliseText(actual);
  if (typeof expected === 'boolean') return expected === actual;
  if (Array.isArray(expected))
    return Array.isArray(actual) && actual.length === expected.length && expected.every((item, index) => matches(item, actual[index]));
  if (typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
    const got = actual as Record<string, unknown>;
    return Object.entries(expected as Record<string, unknown>).every(([key, value]) => matches(value, got[key]));
  }
  return false;
}

export interface FieldOutcome {
  field: string;
  ok: boolean;
  wanted: unknown;
  got: unknown;
}

/** One outcome per expected field; `data` undefined (a failed record) misses them all. */
export function compareFields(expected: Record<string, unknown>, data: unknown): FieldOutcome[] {
  const got = data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : undefined;
  return Object.entries(expected).map(([field, wanted]) => {
    const value = got === undefined ? undefined : (got[field] ?? null);
    return { field, wanted, got: value ?? null, ok: got !== undefined && matches(wanted, value) };
  });
}
