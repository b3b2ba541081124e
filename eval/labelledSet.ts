/**
 * A labelled set on disk: every file `X` with `X.expected.json` beside it, the expected values of any
 * subset of its profile's fields. The profile comes from the path rules (`receipts/`, `invoices/`) as it
 * would for an upload of the same name, or from `--profile`.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Config } from '../src/config.js';
import { selectProfileName } from '../src/profiles/catalog.js';

export const EXPECTED_SUFFIX = '.expected.json';

export interface LabelledFile {
  /** Path on disk. */
  path: string;
  /** The name it is uploaded under: its path below the set's folder, with `/` separators. */
  blobName: string;
  profile: string;
  expected: Record<string, unknown>;
}

export interface LabelledSet {
  files: LabelledFile[];
  /** Files with no `.expected.json` beside them, left out. */
  unlabelled: string[];
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) =>
      entry.isDirectory() ? walk(join(dir, entry.name)) : Promise.resolve(entry.isFile() ? [join(dir, entry.name)] : []),
    ),
  );
  return nested.flat().sort();
}

function fieldsOf(config: Config, profile: string): string[] | undefined {
  const properties = config.profiles.profiles.get(profile)?.jsonSchema['properties'];
  return properties !== null && typeof properties === 'object' ? Object.keys(properties) : undefined;
}

export async function loadLabelledSet(dir: string, config: Config, profileOverride?: string): Promise<LabelledSet> {
  const paths = await walk(dir);
  const labels = new Set(paths.filter((path) => path.endsWith(EXPECTED_SUFFIX)));
  const files: LabelledFile[] = [];
  const unlabelled: string[] = [];
  for (const path of paths.filter((candidate) => !labels.has(candidate))) {
    const blobName = relative(dir, path).split(sep).join('/');
    if (!labels.has(path + EXPECTED_SUFFIX)) {
      unlabelled.push(blobName);
      continue;
    }
    const label = `${blobName}${EXPECTED_SUFFIX}`;
    let expected: unknown;
    try {
      expected = JSON.parse(await readFile(path + EXPECTED_SUFFIX, 'utf8'));
    } catch (error) {
      throw new Error(`${label}: not valid JSON (${error instanceof Error ? error.message : String(error)})`, { cause: error });
    }
    if (expected === null || typeof expected !== 'object' || Array.isArray(expected))
      throw new Error(`${label}: expected a JSON object of field values, got ${JSON.stringify(expected)}`);
    const profile = selectProfileName(config.profiles, blobName, profileOverride);
    const fields = fieldsOf(config, profile);
    if (fields === undefined) throw new Error(`${label}: profile "${profile}" is not known (check --profile and the path rules)`);
    const unknown = Object.keys(expected).filter((field) => !fields.includes(field));
    if (unknown.length > 0)
      throw new Error(
        `${label}: ${unknown.map((field) => `"${field}"`).join(', ')} not a field of profile "${profile}" (its fields: ${fields.join(', ')})`,
      );
    files.push({ path, blobName, profile, expected: expected as Record<string, unknown> });
  }
  return { files, unlabelled };
}
