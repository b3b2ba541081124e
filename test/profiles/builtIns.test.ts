/**
 * The built-in profiles as data: every one is registered, strict-mode compatible (checked with the same
 * checker that guards user-defined schemas), and documented with an example that its schema accepts.
 */
import { describe, expect, it } from 'vitest';
import { builtInProfiles } from '../../src/profiles/index.js';
import { strictSubsetProblems } from '../../src/profiles/jsonSchemaSubset.js';
import { PROFILES_DOC, exampleResults } from '../support/profileExamples.js';

const NAMES = ['describe', 'invoice', 'receipt', 'form', 'architecture', 'chart', 'compare'];

/** Rows of the profile table: name -> its cells. */
function tableRows(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const match of PROFILES_DOC.matchAll(/^\| `([a-z-]+)`(?: \(default\))?\s*\|(.*)\|$/gm)) {
    rows.set(
      match[1] ?? '',
      (match[2] ?? '').split('|').map((cell) => cell.trim()),
    );
  }
  return rows;
}

describe('built-in profiles', () => {
  it('registers every profile issue 5 names', () => {
    expect([...builtInProfiles.keys()].sort()).toEqual([...NAMES].sort());
  });

  it.each(NAMES)('%s: its JSON Schema is strict-mode compatible (every key required, no extras, supported keywords only)', (name) => {
    const profile = builtInProfiles.get(name);
    expect(profile?.jsonSchema.type).toBe('object');
    expect(strictSubsetProblems(profile?.jsonSchema, name)).toEqual([]);
  });

  it.each(NAMES)('%s: the example result in docs/profiles.md validates and passes its checks', (name) => {
    const profile = builtInProfiles.get(name);
    const example = exampleResults().get(name);
    expect(example, `docs/profiles.md example for ${name}`).toBeDefined();
    const parsed = profile?.schema.safeParse(example);
    expect(parsed?.success, JSON.stringify(parsed?.error?.issues)).toBe(true);
    expect(profile?.check?.(parsed?.data) ?? []).toEqual([]);
  });

  it.each(NAMES)('%s: the docs table states its detail level and output tokens', (name) => {
    const profile = builtInProfiles.get(name);
    const [, detail, format, tokens] = tableRows().get(name) ?? [];
    expect(detail).toBe(profile?.detail);
    expect(Number(tokens)).toBe(profile?.maxOutputTokens);
    expect(format?.startsWith(profile?.prepare.format === 'png' ? 'PNG' : 'JPEG, or PNG when smaller')).toBe(true);
  });

  it('keeps PNG for the profiles that read thin lines and small print', () => {
    for (const name of ['invoice', 'receipt', 'form', 'architecture', 'chart'])
      expect(builtInProfiles.get(name)?.prepare.format).toBe('png');
  });

  it('asks for a comparison at low detail', () => {
    expect(builtInProfiles.get('compare')?.detail).toBe('low');
  });
});
