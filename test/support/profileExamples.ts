/**
 * The examples of docs/profiles.md, so that tests keep them true: each built-in profile's example
 * result (a "#### `name`" heading followed by a json block) and the full profile file example.
 */
import { readFileSync } from 'node:fs';

export const PROFILES_DOC = readFileSync(new URL('../../docs/profiles.md', import.meta.url), 'utf8');

/** Profile name -> the example `data` shown for it. */
export function exampleResults(): Map<string, unknown> {
  const examples = new Map<string, unknown>();
  for (const match of PROFILES_DOC.matchAll(/^#### `([a-z-]+)`\n[^`]*?```json\n([\s\S]*?)\n```/gm)) {
    examples.set(match[1] ?? '', JSON.parse(match[2] ?? ''));
  }
  return examples;
}

export function exampleResult(profile: string): Record<string, unknown> {
  const example = exampleResults().get(profile);
  if (example === undefined) throw new Error(`docs/profiles.md has no example result for ${profile}`);
  return example as Record<string, unknown>;
}

/** The YAML block under "### A full example". */
export function exampleProfileFile(): string {
  const match = /^### A full example\n[^`]*```yaml\n([\s\S]*?)\n```/m.exec(PROFILES_DOC);
  if (match?.[1] === undefined) throw new Error('docs/profiles.md has no full profile file example');
  return match[1];
}
