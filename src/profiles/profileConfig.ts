/**
 * The profile file (PROFILES_FILE): user-defined profiles, the path rules and the manifest-only prefixes,
 * in one YAML or JSON file. It is read once at start; every problem is reported at once, each line
 * naming the file and the field, so that a bad edit stops the worker before any upload is analysed.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, ensureError } from '../errors.js';
import { withoutFormatKeywords } from './formatKeywords.js';
import { userSchemaProblems, validatorFor } from './jsonSchemaSubset.js';
import { PROFILE_NAME_PATTERN, type PathRule, type Profile } from './types.js';
import { describeIssue } from './zodIssues.js';

export interface ProfileFile {
  /** How messages name the file: relative to the app root when inside it. */
  label: string;
  /** Undefined when the file does not set it (so that the environment may). */
  defaultProfile: string | undefined;
  rules: PathRule[] | undefined;
  manifestOnlyPrefixes: string[];
  profiles: Profile[];
}

const USER_PROFILE_DEFAULTS = { detail: 'auto', maxOutputTokens: 1000, format: 'auto' } as const;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const profileName = z.string().regex(PROFILE_NAME_PATTERN, 'must be a profile name (lowercase letters, digits, - and _; at most 64)');
const prefix = z
  .string()
  .min(1, 'must not be empty')
  .refine((value) => !value.startsWith('/'), 'must be a blob name prefix, without a leading "/"');
const text = z.string().trim().min(1, 'must not be empty');

const profileEntry = z.strictObject({
  description: text.optional(),
  system: text,
  user: text,
  schema: z.custom<Record<string, unknown>>(isObject, { error: 'must be an object (a JSON Schema)' }),
  detail: z.enum(['low', 'high', 'auto']).optional(),
  maxOutputTokens: z.int().min(16).max(16_384).optional(),
  model: text.optional(),
  format: z.enum(['auto', 'jpeg', 'png']).optional(),
});

const fileSchema = z.strictObject({
  default: profileName.optional(),
  rules: z.array(z.strictObject({ prefix, profile: profileName })).optional(),
  manifestOnlyPrefixes: z.array(prefix).optional(),
  profiles: z.record(profileName, profileEntry).optional(),
});

type FileContent = z.infer<typeof fileSchema>;
type ProfileEntry = z.infer<typeof profileEntry>;

function parseText(source: string, path: string, label: string): unknown {
  const extension = extname(path).toLowerCase();
  try {
    if (extension === '.json') return JSON.parse(source) as unknown;
    if (extension === '.yaml' || extension === '.yml') return parseYaml(source) as unknown;
  } catch (error) {
    throw new ConfigError(label, `is not valid ${extension === '.json' ? 'JSON' : 'YAML'}: ${ensureError(error).message}`);
  }
  throw new ConfigError(label, `expected a .yaml, .yml or .json file, got "${extension || 'no extension'}"`);
}

function userProfile(name: string, entry: ProfileEntry, label: string): Profile {
  let schema: Profile['schema'];
  try {
    schema = validatorFor(entry.schema);
  } catch (error) {
    // z.fromJSONSchema is young: anything it cannot convert is a load-time error, never a per-upload one.
    throw new ConfigError(label, `profiles.${name}.schema: ${ensureError(error).message}`);
  }
  return {
    name,
    description: entry.description ?? `User-defined in ${label}`,
    system: entry.system,
    user: entry.user,
    schema,
    // Validation enforces the format keywords; strict structured outputs would refuse them.
    jsonSchema: withoutFormatKeywords(entry.schema),
    detail: entry.detail ?? USER_PROFILE_DEFAULTS.detail,
    maxOutputTokens: entry.maxOutputTokens ?? USER_PROFILE_DEFAULTS.maxOutputTokens,
    ...(entry.model === undefined ? {} : { model: entry.model }),
    prepare: { format: entry.format ?? USER_PROFILE_DEFAULTS.format },
  };
}

/** Problems with what the file refers to: profile names must be new, and rules must name known profiles. */
function referenceProblems(content: FileContent, builtIns: ReadonlySet<string>): string[] {
  const defined = Object.keys(content.profiles ?? {});
  const known = new Set([...builtIns, ...defined]);
  const knownList = [...known].join(', ');
  const problems = defined
    .filter((name) => builtIns.has(name))
    .map((name) => `profiles.${name}: "${name}" is a built-in profile; give yours another name`);
  if (content.default !== undefined && !known.has(content.default)) {
    problems.push(`default: "${content.default}" is not a known profile; known: ${knownList}`);
  }
  (content.rules ?? []).forEach((rule, index) => {
    if (!known.has(rule.profile)) problems.push(`rules[${index}].profile: "${rule.profile}" is not a known profile; known: ${knownList}`);
  });
  return problems;
}

/** Reads and validates the profile file; `builtIns` are the names user profiles may refer to but not reuse. */
export function readProfileFile(path: string, label: string, builtIns: ReadonlySet<string>): ProfileFile {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(label, `cannot be read: ${ensureError(error).message}`);
  }
  // An empty file is an empty configuration, not an error.
  const parsed = fileSchema.safeParse(parseText(source, path, label) ?? {});
  if (!parsed.success)
    fail(
      label,
      parsed.error.issues.map((issue) => describeIssue(issue)),
    );
  const content = parsed.data;
  const entries = Object.entries(content.profiles ?? {});
  const problems = [
    ...entries.flatMap(([name, entry]) => userSchemaProblems(entry.schema, `profiles.${name}.schema`)),
    ...referenceProblems(content, builtIns),
  ];
  if (problems.length > 0) fail(label, problems);
  return {
    label,
    defaultProfile: content.default,
    rules: content.rules,
    manifestOnlyPrefixes: content.manifestOnlyPrefixes ?? [],
    profiles: entries.map(([name, entry]) => userProfile(name, entry, label)),
  };
}

function fail(label: string, problems: string[]): never {
  // `(root)` is the file itself: "profiles.yaml: Unrecognized key..." reads better than "profiles.yaml: (root): ...".
  const lines = problems.map((problem) => problem.replace(/^\(root\): /, ''));
  throw new ConfigError(label, lines.join(`\n${label}: `));
}
