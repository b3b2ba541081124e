/**
 * A user-defined profile brings its own JSON Schema. It must stay inside the subset that strict
 * structured outputs accept (or the model endpoint refuses every request) and that the worker validates
 * with: type (one or a list, `"null"` in a list makes a value nullable), properties, required,
 * additionalProperties: false, items, enum, anyOf, plus description and title; and, for strings and
 * numbers, the format keywords that are validated but not sent (formatKeywords.ts). Anything else is
 * refused when the profile file is loaded, not when the first upload arrives.
 */
import { z } from 'zod';
import { FORMAT_KEYWORDS } from './formatKeywords.js';

const TYPES: ReadonlySet<string> = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null']);
const KEYWORDS: ReadonlySet<string> = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'anyOf',
  'description',
  'title',
]);
const STRUCTURAL = ['type', 'properties', 'required', 'additionalProperties', 'items', 'enum'] as const;

type Node = Record<string, unknown>;
/** Whether the format keywords are allowed: in a user's schema, never in one that is sent. */
type Allowed = { formats: boolean };

const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);
const isScalar = (value: unknown): boolean => value === null || ['string', 'number', 'boolean'].includes(typeof value);

function typesOf(node: Node, path: string, problems: string[]): string[] {
  const { type } = node;
  const list = typeof type === 'string' ? [type] : Array.isArray(type) ? type : undefined;
  if (list?.includes(null) === true) {
    problems.push(`${path}.type: lists the value null; in YAML write the type name quoted, 'null'`);
    return [];
  }
  if (list === undefined || list.length === 0 || !list.every((t): t is string => typeof t === 'string')) {
    problems.push(`${path}.type: must be a type name or a list of them`);
    return [];
  }
  const unknown = list.filter((t) => !TYPES.has(t));
  if (unknown.length > 0) problems.push(`${path}.type: ${unknown.map((t) => `"${t}"`).join(', ')} is not one of ${[...TYPES].join(', ')}`);
  if (new Set(list).size !== list.length) problems.push(`${path}.type: lists a type twice`);
  return list;
}

function checkObject(node: Node, path: string, problems: string[], allowed: Allowed): void {
  const { properties, required, additionalProperties } = node;
  if (!isNode(properties)) {
    problems.push(`${path}.properties: must be an object mapping each property name to its schema`);
    return;
  }
  if (additionalProperties !== false) problems.push(`${path}.additionalProperties: must be false (strict structured outputs)`);
  const names = Object.keys(properties);
  if (!Array.isArray(required) || !required.every((r): r is string => typeof r === 'string')) {
    problems.push(`${path}.required: must list every property name (${names.join(', ')})`);
  } else {
    const missing = names.filter((name) => !required.includes(name));
    const unknown = required.filter((name) => !names.includes(name));
    if (missing.length > 0) {
      problems.push(
        `${path}.required: must list every property (strict structured outputs); missing ${missing.join(', ')}. ` +
          'For a value that may be absent, add "null" to its type instead',
      );
    }
    if (unknown.length > 0) problems.push(`${path}.required: names ${unknown.join(', ')}, which ${path}.properties does not define`);
  }
  for (const [name, child] of Object.entries(properties)) check(child, `${path}.properties.${name}`, problems, allowed);
}

/** Each format keyword needs a valid setting and a type it applies to; an enum already lists every allowed value. */
function checkFormatKeywords(node: Node, types: readonly string[], path: string, problems: string[]): void {
  for (const [key, value] of Object.entries(node)) {
    const keyword = FORMAT_KEYWORDS.get(key);
    if (keyword === undefined) continue;
    const problem = keyword.problem(value);
    if (problem !== undefined) problems.push(`${path}.${key}: ${problem}`);
    if ('enum' in node) problems.push(`${path}.${key}: cannot be combined with "enum"`);
    else if (keyword.appliesTo === 'string' ? !types.includes('string') : !types.some((t) => t === 'number' || t === 'integer'))
      problems.push(`${path}.${key}: only applies to "type": ${keyword.appliesTo === 'string' ? '"string"' : '"number" or "integer"'}`);
  }
}

function check(node: unknown, path: string, problems: string[], allowed: Allowed): void {
  if (!isNode(node)) {
    problems.push(`${path}: must be an object (a JSON Schema)`);
    return;
  }
  const supported = allowed.formats ? [...KEYWORDS, ...FORMAT_KEYWORDS.keys()] : [...KEYWORDS];
  const unsupported = Object.keys(node).filter((key) => !supported.includes(key));
  if (unsupported.length > 0) {
    problems.push(`${path}: ${unsupported.map((k) => `"${k}"`).join(', ')} is not supported; supported keywords: ${supported.join(', ')}`);
  }
  for (const key of ['description', 'title']) {
    if (key in node && typeof node[key] !== 'string') problems.push(`${path}.${key}: must be a string`);
  }
  if ('anyOf' in node) {
    const mixed = [...STRUCTURAL, ...FORMAT_KEYWORDS.keys()].filter((key) => key in node);
    if (mixed.length > 0)
      problems.push(`${path}: "anyOf" cannot be combined with ${mixed.map((k) => `"${k}"`).join(', ')}; put them in the branches`);
    if (!Array.isArray(node.anyOf) || node.anyOf.length === 0) problems.push(`${path}.anyOf: must be a non-empty list of schemas`);
    else node.anyOf.forEach((branch, index) => check(branch, `${path}.anyOf[${index}]`, problems, allowed));
    return;
  }
  if ('enum' in node && (!Array.isArray(node.enum) || node.enum.length === 0 || !node.enum.every(isScalar))) {
    problems.push(`${path}.enum: must be a non-empty list of strings, numbers, booleans or null`);
  }
  const types = 'type' in node ? typesOf(node, path, problems) : [];
  if (allowed.formats) checkFormatKeywords(node, types, path, problems);
  if (!('type' in node)) {
    if (!('enum' in node)) problems.push(`${path}: needs "type", "enum" or "anyOf"`);
    return;
  }
  if (types.includes('object')) checkObject(node, path, problems, allowed);
  else
    for (const key of ['properties', 'required', 'additionalProperties'])
      if (key in node) problems.push(`${path}.${key}: only applies to "type": "object"`);
  if (types.includes('array')) {
    if ('items' in node) check(node.items, `${path}.items`, problems, allowed);
    else problems.push(`${path}.items: is required for "type": "array"`);
  } else if ('items' in node) problems.push(`${path}.items: only applies to "type": "array"`);
}

function problemsOf(schema: unknown, path: string, allowed: Allowed): string[] {
  const problems: string[] = [];
  if (isNode(schema) && schema.type !== 'object') {
    problems.push(`${path}.type: the top level must be "object" (strict structured outputs answer with a JSON object)`);
  }
  check(schema, path, problems, allowed);
  return problems;
}

/** Every way a schema to be sent leaves the strict subset, each as `<path>: <problem>`; empty when it is fine. */
export const strictSubsetProblems = (schema: unknown, path: string): string[] => problemsOf(schema, path, { formats: false });

/** The same for a user's schema, which may also carry format keywords (they are taken out before it is sent). */
export const userSchemaProblems = (schema: unknown, path: string): string[] => problemsOf(schema, path, { formats: true });

/** A validator for a schema that `userSchemaProblems` accepted: it enforces the format keywords too. */
export function validatorFor(schema: Record<string, unknown>): z.ZodType {
  return z.fromJSONSchema(schema);
}
