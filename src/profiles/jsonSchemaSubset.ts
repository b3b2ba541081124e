/**
 * A user-defined profile brings its own JSON Schema. It must stay inside the subset that strict
 * structured outputs accept (or the model endpoint refuses every request) and that the worker validates
 * with: type (one or a list, `"null"` in a list makes a value nullable), properties, required,
 * additionalProperties: false, items, enum, anyOf, plus description and title. Anything else is
 * refused when the profile file is loaded, not when the first upload arrives.
 */
import { z } from 'zod';

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

function checkObject(node: Node, path: string, problems: string[]): void {
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
  for (const [name, child] of Object.entries(properties)) check(child, `${path}.properties.${name}`, problems);
}

function check(node: unknown, path: string, problems: string[]): void {
  if (!isNode(node)) {
    problems.push(`${path}: must be an object (a JSON Schema)`);
    return;
  }
  const unsupported = Object.keys(node).filter((key) => !KEYWORDS.has(key));
  if (unsupported.length > 0) {
    problems.push(
      `${path}: ${unsupported.map((k) => `"${k}"`).join(', ')} is not supported; supported keywords: ${[...KEYWORDS].join(', ')}`,
    );
  }
  for (const key of ['description', 'title']) {
    if (key in node && typeof node[key] !== 'string') problems.push(`${path}.${key}: must be a string`);
  }
  if ('anyOf' in node) {
    const mixed = STRUCTURAL.filter((key) => key in node);
    if (mixed.length > 0)
      problems.push(`${path}: "anyOf" cannot be combined with ${mixed.map((k) => `"${k}"`).join(', ')}; put them in the branches`);
    if (!Array.isArray(node.anyOf) || node.anyOf.length === 0) problems.push(`${path}.anyOf: must be a non-empty list of schemas`);
    else node.anyOf.forEach((branch, index) => check(branch, `${path}.anyOf[${index}]`, problems));
    return;
  }
  if ('enum' in node && (!Array.isArray(node.enum) || node.enum.length === 0 || !node.enum.every(isScalar))) {
    problems.push(`${path}.enum: must be a non-empty list of strings, numbers, booleans or null`);
  }
  if (!('type' in node)) {
    if (!('enum' in node)) problems.push(`${path}: needs "type", "enum" or "anyOf"`);
    return;
  }
  const types = typesOf(node, path, problems);
  if (types.includes('object')) checkObject(node, path, problems);
  else
    for (const key of ['properties', 'required', 'additionalProperties'])
      if (key in node) problems.push(`${path}.${key}: only applies to "type": "object"`);
  if (types.includes('array')) {
    if ('items' in node) check(node.items, `${path}.items`, problems);
    else problems.push(`${path}.items: is required for "type": "array"`);
  } else if ('items' in node) problems.push(`${path}.items: only applies to "type": "array"`);
}

/** Every way `schema` leaves the supported subset, each as `<path>: <problem>`; empty when it is fine. */
export function strictSubsetProblems(schema: unknown, path: string): string[] {
  const problems: string[] = [];
  if (isNode(schema) && schema.type !== 'object') {
    problems.push(`${path}.type: the top level must be "object" (strict structured outputs answer with a JSON object)`);
  }
  check(schema, path, problems);
  return problems;
}

/** A validator for a schema that `strictSubsetProblems` accepted. */
export function validatorFor(schema: Record<string, unknown>): z.ZodType {
  return z.fromJSONSchema(schema);
}
