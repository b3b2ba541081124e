/**
 * Checks the deployment templates against the code without a Bicep compiler: the Bicep is read as text
 * (comments and string contents masked so that braces and keys can be matched), and the names the code
 * uses are imported from src/names.ts at test time, so a setting, container, queue or function added
 * there and missing here fails this suite.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  BLOB_CREATED_SUBSCRIPTION,
  DATA_CONNECTION,
  DEFAULT_NAMES,
  FUNCTION_NAMES,
  HOST_CONNECTION,
  SETTINGS,
  poisonQueueName,
} from '../../src/names.js';
import { resolveModelFamily } from '../../src/models/modelFamilies.js';
import { METRIC_EVENT, METRIC_NAMES } from '../../src/ops/metricLines.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const INFRA = join(ROOT, 'infra');

/**
 * Settings the config module reads that infra deliberately never sets: they hold API keys, and in Azure
 * the worker signs in to Azure OpenAI with its managed identity (keys stay a local-only fallback).
 * Nothing else may be left out.
 */
const KEY_SETTINGS_NOT_PROVISIONED: ReadonlySet<string> = new Set([SETTINGS.azureOpenAiApiKey, SETTINGS.openAiApiKey]);

/**
 * Built-in role definition ids, checked against Microsoft's built-in roles reference
 * (learn.microsoft.com/azure/role-based-access-control/built-in-roles; MicrosoftDocs/azure-docs
 * built-in-roles/storage.md, ai-machine-learning.md, monitor.md). Note Cognitive Services OpenAI User
 * ends in ...61bd.
 */
const BUILT_IN_ROLES: Readonly<Record<string, string>> = {
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': 'Storage Queue Data Contributor',
  '8a0f0c08-91a1-4084-bc3d-661d67233fed': 'Storage Queue Data Message Processor',
  'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a': 'Storage Queue Data Message Sender',
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor',
  '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd': 'Cognitive Services OpenAI User',
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
};

type Capability =
  | 'blob:read'
  | 'blob:write'
  | 'queue:send'
  | 'queue:receive'
  | 'queue:delete'
  | 'queue:update'
  | 'queue:create'
  | 'table:write'
  | 'openai:inference'
  | 'telemetry:publish';

/** What each role lets a principal do, in the terms the worker needs (data actions of the role). */
const ROLE_CAPABILITIES: Readonly<Record<string, readonly Capability[]>> = {
  'Storage Blob Data Owner': ['blob:read', 'blob:write'],
  'Storage Blob Data Contributor': ['blob:read', 'blob:write'],
  'Storage Queue Data Contributor': ['queue:send', 'queue:receive', 'queue:delete', 'queue:update', 'queue:create'],
  'Storage Queue Data Message Processor': ['queue:receive', 'queue:delete'],
  'Storage Queue Data Message Sender': ['queue:send'],
  'Storage Table Data Contributor': ['table:write'],
  'Cognitive Services OpenAI User': ['openai:inference'],
  'Monitoring Metrics Publisher': ['telemetry:publish'],
};

/** Alert inputs: metric names the emitMetrics timer logs (see infra/app/alerts.bicep, src/ops/metricLines.ts). */
const ALERT_METRICS = [
  'queue_depth_jobs',
  'queue_depth_poison',
  'queue_depth_poison_poison',
  'dead_lettered_uploads',
  'queue_oldest_age_seconds',
  'results_failed',
  'results_succeeded',
];

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

// ---------------------------------------------------------------------------------------------------
// A small Bicep reader: enough structure (blocks, top-level keys, params, vars) to check the templates.
// ---------------------------------------------------------------------------------------------------

interface BicepFile {
  path: string;
  /** The file as written. */
  src: string;
  /** Comments blanked (same length, newlines kept). */
  code: string;
  /** Comments and string contents blanked: braces and keys can be matched here. */
  masked: string;
}

function maskBicep(src: string, maskStrings: boolean): string {
  const out = src.split('');
  const blank = (from: number, to: number): void => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  // Returns the index just past the string that opens at `start`.
  const skipString = (start: number): number => {
    if (src.startsWith("'''", start)) {
      const end = src.indexOf("'''", start + 3);
      return end < 0 ? src.length : end + 3;
    }
    let j = start + 1;
    while (j < src.length) {
      const c = src[j];
      if (c === '\\') j += 2;
      else if (c === "'") return j + 1;
      else if (c === '$' && src[j + 1] === '{') j = skipInterpolation(j + 2);
      else j++;
    }
    return src.length;
  };
  const skipInterpolation = (start: number): number => {
    let depth = 1;
    let j = start;
    while (j < src.length) {
      const c = src[j];
      if (c === "'") {
        j = skipString(j);
        continue;
      }
      if (c === '{') depth++;
      if (c === '}' && --depth === 0) return j + 1;
      j++;
    }
    return src.length;
  };
  let i = 0;
  while (i < src.length) {
    if (src.startsWith('//', i)) {
      const end = src.indexOf('\n', i);
      const stop = end < 0 ? src.length : end;
      blank(i, stop);
      i = stop;
    } else if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (src[i] === "'") {
      const end = skipString(i);
      if (maskStrings) blank(i + 1, end - 1);
      i = end;
    } else {
      i++;
    }
  }
  return out.join('');
}

function loadBicep(path: string): BicepFile {
  const src = readFileSync(path, 'utf8');
  return { path, src, code: maskBicep(src, false), masked: maskBicep(src, true) };
}

interface Span {
  start: number;
  end: number;
}

/** The span inside the bracket that opens at `open` (matched in the masked text). */
function bracketBody(file: BicepFile, open: number): Span {
  const pairs: Record<string, string> = { '{': '}', '[': ']', '(': ')' };
  const stack: string[] = [];
  for (let i = open; i < file.masked.length; i++) {
    const c = file.masked[i] ?? '';
    if (c in pairs) stack.push(pairs[c] ?? '');
    else if (c === stack[stack.length - 1]) {
      stack.pop();
      if (stack.length === 0) return { start: open + 1, end: i };
    }
  }
  throw new Error(`${relative(ROOT, file.path)}: unbalanced bracket at ${open}`);
}

/** Body of the first `{ ... }` after the declaration that `pattern` finds in code (not in comments). */
function declarationBody(file: BicepFile, pattern: RegExp): Span | undefined {
  const match = pattern.exec(file.code);
  if (match === null) return undefined;
  const open = file.masked.indexOf('{', match.index + match[0].length - 1);
  return open < 0 ? undefined : bracketBody(file, open);
}

/** `key: value` lines at the top level of an object body; the value is the rest of the line. */
function topLevelEntries(file: BicepFile, body: Span): Map<string, string> {
  const entries = new Map<string, string>();
  let depth = 0;
  let lineStart = body.start;
  while (lineStart < body.end) {
    const newline = file.masked.indexOf('\n', lineStart);
    const lineEnd = newline < 0 || newline > body.end ? body.end : newline;
    const line = file.masked.slice(lineStart, lineEnd);
    if (depth === 0) {
      const key = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:/.exec(line);
      if (key?.[1] !== undefined) entries.set(key[1], file.code.slice(lineStart + key[0].length, lineEnd).trim());
    }
    for (const c of line) {
      if (c === '{' || c === '[' || c === '(') depth++;
      if (c === '}' || c === ']' || c === ')') depth--;
    }
    lineStart = lineEnd + 1;
  }
  return entries;
}

/** Body of the object or array that is the value of `key` inside `span` (first occurrence). */
function entryBody(file: BicepFile, span: Span, key: string): Span | undefined {
  const m = new RegExp(`^\\s*${key}\\s*:\\s*[[{]`, 'm').exec(file.masked.slice(span.start, span.end));
  if (m === null) return undefined;
  return bracketBody(file, span.start + m.index + m[0].length - 1);
}

/** Items of the array literal that is the value of `key` in an object body. */
function arrayItems(file: BicepFile, body: Span | undefined, key: string): string[] {
  const inner = body === undefined ? undefined : entryBody(file, body, key);
  if (inner === undefined) return [];
  return file.code
    .slice(inner.start, inner.end)
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

interface Param {
  type: string;
  /** Default value expression, undefined when the param has none. */
  defaultValue: string | undefined;
}

function params(file: BicepFile): Map<string, Param> {
  const found = new Map<string, Param>();
  for (const m of file.code.matchAll(/^param\s+(\w+)\s+([\w[\]]+)(?:\s*=\s*(.+))?$/gm)) {
    if (m[1] !== undefined && m[2] !== undefined) found.set(m[1], { type: m[2], defaultValue: m[3]?.trim() });
  }
  return found;
}

function vars(file: BicepFile): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of file.code.matchAll(/^var\s+(\w+)\s*=\s*(.+)$/gm)) {
    if (m[1] !== undefined && m[2] !== undefined) found.set(m[1], m[2].trim());
  }
  return found;
}

/** Evaluates a string expression made of literals, `${identifier}` and params/vars that are such. */
function evaluateString(file: BicepFile, expression: string, seen: ReadonlySet<string> = new Set()): string {
  const expr = expression.trim();
  const literal = /^'((?:[^'\\]|\\.)*)'$/.exec(expr);
  if (literal?.[1] !== undefined) {
    return literal[1].replace(/\$\{(\w+)\}/g, (_, name: string) => evaluateString(file, name, seen));
  }
  if (/^\w+$/.test(expr) && !seen.has(expr)) {
    const next = new Set(seen).add(expr);
    const param = params(file).get(expr);
    if (param?.defaultValue !== undefined) return evaluateString(file, param.defaultValue, next);
    const variable = vars(file).get(expr);
    if (variable !== undefined) return evaluateString(file, variable, next);
  }
  throw new Error(`${relative(ROOT, file.path)}: cannot evaluate "${expr}" as a constant string`);
}

interface ModuleCall {
  symbol: string;
  path: string;
  body: Span;
  paramsBody: Span | undefined;
  params: Map<string, string>;
}

function moduleCalls(file: BicepFile): ModuleCall[] {
  const calls: ModuleCall[] = [];
  for (const m of file.code.matchAll(/^module\s+(\w+)\s+'([^']+)'\s*=/gm)) {
    const symbol = m[1] ?? '';
    const body = declarationBody(file, new RegExp(`^module\\s+${symbol}\\s+'`, 'm'));
    if (body === undefined) throw new Error(`module ${symbol} has no body`);
    const paramsBody = entryBody(file, body, 'params');
    calls.push({
      symbol,
      path: m[2] ?? '',
      body,
      paramsBody,
      params: paramsBody === undefined ? new Map() : topLevelEntries(file, paramsBody),
    });
  }
  return calls;
}

function bicepFiles(): string[] {
  const app = join(INFRA, 'app');
  return [
    join(INFRA, 'main.bicep'),
    ...readdirSync(app)
      .filter((f) => f.endsWith('.bicep'))
      .map((f) => join(app, f)),
  ];
}

const main = loadBicep(join(INFRA, 'main.bicep'));
const mainModules = moduleCalls(main);

function moduleCall(predicate: (call: ModuleCall) => boolean, what: string): ModuleCall {
  const call = mainModules.find(predicate);
  if (call === undefined) throw new Error(`infra/main.bicep: no module for ${what}`);
  return call;
}

function appSettings(): Map<string, string> {
  const body = declarationBody(main, /^var\s+appSettings\s*=\s*/m);
  if (body === undefined) throw new Error('infra/main.bicep: expected `var appSettings = { ... }`');
  return topLevelEntries(main, body);
}

/** `foo.outputs.bar` -> `foo` */
function outputOwner(expression: string | undefined): string {
  const m = /^(\w+)\.outputs\.\w+$/.exec(expression ?? '');
  if (m?.[1] === undefined) throw new Error(`expected <module>.outputs.<name>, got "${expression}"`);
  return m[1];
}

function mainOutputs(): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of main.code.matchAll(/^output\s+(\w+)\s+\w+\s*=\s*(.+)$/gm)) {
    if (m[1] !== undefined && m[2] !== undefined) found.set(m[1], m[2].trim());
  }
  return found;
}

interface Assignment {
  file: string;
  resource: string;
  /** The expression main.bicep passes for the target resource's name. */
  target: string;
  role: string;
  /** The expression main.bicep passes for the principal. */
  principal: string;
}

/** Role assignments a module makes, with target and principal expressed as main.bicep passes them. */
function roleAssignments(call: ModuleCall): Assignment[] {
  const file = loadBicep(resolve(INFRA, call.path));
  const where = relative(ROOT, file.path);
  const roleVars = new Map<string, string>();
  for (const m of file.src.matchAll(/^var\s+(\w+)\s*=\s*'([0-9a-f-]{36})'/gm)) {
    const name = BUILT_IN_ROLES[m[2] ?? ''];
    if (m[1] !== undefined && name !== undefined) roleVars.set(m[1], name);
  }
  const existingNames = new Map<string, string>();
  for (const m of file.code.matchAll(/^resource\s+(\w+)\s+'[^']+'\s+existing\s*=/gm)) {
    const body = declarationBody(file, new RegExp(`^resource\\s+${m[1]}\\s+'`, 'm'));
    const name = body === undefined ? undefined : topLevelEntries(file, body).get('name');
    if (m[1] !== undefined && name !== undefined) existingNames.set(m[1], name);
  }
  const fromMain = (expression: string, what: string): string => {
    const passed = call.params.get(expression);
    if (passed === undefined)
      throw new Error(`${where}: ${what} "${expression}" is not a param that main.bicep passes to module ${call.symbol}`);
    return passed;
  };
  const assignments: Assignment[] = [];
  for (const m of file.code.matchAll(/^resource\s+(\w+)\s+'Microsoft\.Authorization\/roleAssignments@[^']+'\s*=/gm)) {
    const resource = m[1] ?? '';
    const body = declarationBody(file, new RegExp(`^resource\\s+${resource}\\s+'`, 'm'));
    if (body === undefined) throw new Error(`${where}: ${resource} has no body`);
    const entries = topLevelEntries(file, body);
    const propertiesBody = entryBody(file, body, 'properties');
    if (propertiesBody === undefined) throw new Error(`${where}: ${resource} has no properties`);
    const properties = topLevelEntries(file, propertiesBody);
    const scope = entries.get('scope');
    const roleVar = /subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions',\s*(\w+)\)/.exec(
      properties.get('roleDefinitionId') ?? '',
    )?.[1];
    const principal = properties.get('principalId');
    // Least privilege: always scoped to one resource, never the resource group the module deploys to.
    expect(scope, `${where}: ${resource} must set scope`).toBeDefined();
    expect(roleVar, `${where}: ${resource} roleDefinitionId must use a role variable`).toBeDefined();
    const role = roleVars.get(roleVar ?? '');
    expect(role, `${where}: ${resource} role variable ${roleVar} is not a known built-in role`).toBeDefined();
    // The assignment name must be derived from the same scope, principal and role (a copy-paste check).
    expect(entries.get('name'), `${where}: ${resource} name`).toBe(`guid(${scope}.id, ${principal}, ${roleVar})`);
    const targetName = existingNames.get(scope ?? '');
    expect(targetName, `${where}: ${resource} scope ${scope} must be an existing resource declared in the file`).toBeDefined();
    assignments.push({
      file: where,
      resource,
      target: fromMain(targetName ?? '', 'target name'),
      role: role ?? '',
      principal: fromMain(principal ?? '', 'principal'),
    });
  }
  return assignments;
}

/**
 * The containers and queues the code expects in the data account: every DEFAULT_NAMES entry (a
 * `...Container` or a `...Queue`) plus the poison queue of the jobs queue.
 */
function expectedStorageNames(): { containers: string[]; queues: string[] } {
  const containers: string[] = [];
  const queues: string[] = [poisonQueueName(DEFAULT_NAMES.jobsQueue)];
  for (const [key, name] of Object.entries(DEFAULT_NAMES)) {
    if (key.endsWith('Container')) containers.push(name);
    else if (key.endsWith('Queue')) queues.push(name);
    else throw new Error(`src/names.ts DEFAULT_NAMES.${key}: neither a container nor a queue; teach test/infra what it is`);
  }
  return { containers, queues };
}

// ---------------------------------------------------------------------------------------------------

/** Computed on first use, inside a test, so that a broken template fails a test rather than collection. */
function lazy<T>(make: () => T): () => T {
  let cache: { value: T } | undefined;
  return () => (cache ??= { value: make() }).value;
}

const settingsOnce = lazy(appSettings);

/** The module symbols main.bicep wires together, found through the app settings. */
const wiring = lazy(() => {
  const settings = settingsOnce();
  return {
    identity: outputOwner(settings.get('AZURE_CLIENT_ID')),
    data: moduleCall((c) => c.symbol === outputOwner(settings.get(`${DATA_CONNECTION}__blobServiceUri`)), 'data storage'),
    host: moduleCall((c) => c.symbol === outputOwner(settings.get(`${HOST_CONNECTION}__blobServiceUri`)), 'host storage'),
    monitoring: outputOwner(settings.get('APPLICATIONINSIGHTS_CONNECTION_STRING')),
    functionApp: moduleCall((c) => c.path === 'app/function-app.bicep', 'the function app'),
    openAi: moduleCall((c) => c.path === 'app/openai.bicep', 'Azure OpenAI'),
    topic: moduleCall((c) => c.path === 'app/eventgrid.bicep', 'the Event Grid system topic'),
  };
});

describe('app settings', () => {
  it('sets every setting the config module reads, except the key settings', () => {
    const settings = settingsOnce();
    const expected = Object.values(SETTINGS).filter((name) => !KEY_SETTINGS_NOT_PROVISIONED.has(name));
    const missing = expected.filter((name) => !settings.has(name));
    expect(missing, 'src/names.ts SETTINGS not set in infra/main.bicep appSettings').toEqual([]);
  });

  it('never provisions an API key', () => {
    for (const name of KEY_SETTINGS_NOT_PROVISIONED) expect(settingsOnce().has(name), name).toBe(false);
    for (const path of bicepFiles()) {
      const file = loadBicep(path);
      expect(file.code, `${relative(ROOT, path)} reads keys`).not.toMatch(/listKeys\s*\(|AccountKey=/);
    }
  });

  it.each([HOST_CONNECTION, DATA_CONNECTION])('connects %s with the managed identity, not a connection string', (prefix) => {
    const settings = settingsOnce();
    expect(settings.has(prefix), `${prefix} (connection string) must not be set`).toBe(false);
    expect(settings.get(`${prefix}__credential`)).toBe("'managedidentity'");
    for (const part of ['clientId', 'blobServiceUri', 'queueServiceUri']) {
      expect(settings.has(`${prefix}__${part}`), `${prefix}__${part}`).toBe(true);
    }
  });

  it('points both connections at their own account and one identity', () => {
    const settings = settingsOnce();
    const { identity } = wiring();
    for (const prefix of [HOST_CONNECTION, DATA_CONNECTION]) {
      expect(outputOwner(settings.get(`${prefix}__clientId`))).toBe(identity);
      expect(outputOwner(settings.get(`${prefix}__blobServiceUri`))).toBe(outputOwner(settings.get(`${prefix}__queueServiceUri`)));
    }
    expect(wiring().data.symbol).not.toBe(wiring().host.symbol);
    expect(settings.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe(`'ClientId=\${${identity}.outputs.clientId};Authorization=AAD'`);
    expect(settings.has('APPLICATIONINSIGHTS_CONNECTION_STRING')).toBe(true);
  });

  it('hands the settings to the function app unchanged', () => {
    expect(wiring().functionApp.params.get('appSettings')).toBe('appSettings');
    const file = loadBicep(join(INFRA, 'app/function-app.bicep'));
    const config = declarationBody(file, /^\s*resource\s+\w+\s+'config'\s*=\s*/m);
    expect(config, 'function-app.bicep: appsettings config resource').toBeDefined();
    const entries = topLevelEntries(file, config ?? { start: 0, end: 0 });
    expect(entries.get('name')).toBe("'appsettings'");
    expect(entries.get('properties')).toBe('appSettings');
  });
});

describe('storage', () => {
  it('creates every container and queue the code uses in the data account', () => {
    const { data } = wiring();
    const containers = arrayItems(main, data.paramsBody, 'containers').map((e) => evaluateString(main, e));
    const queues = arrayItems(main, data.paramsBody, 'queues').map((e) => evaluateString(main, e));
    const expected = expectedStorageNames();
    expect(containers.sort()).toEqual(expected.containers.sort());
    expect(queues.sort()).toEqual(expected.queues.sort());
  });

  it.each(Object.keys(DEFAULT_NAMES))('sets the %s setting to the name of the resource it creates', (key) => {
    const setting = SETTINGS[key as keyof typeof SETTINGS];
    expect(setting, `src/names.ts DEFAULT_NAMES.${key} has no SETTINGS.${key}`).toBeDefined();
    const value = settingsOnce().get(setting) ?? `'<${setting} not set>'`;
    expect(evaluateString(main, value)).toBe(DEFAULT_NAMES[key as keyof typeof DEFAULT_NAMES]);
  });

  it('creates the listed containers and queues, keyless and private', () => {
    expect(wiring().data.path).toBe('app/storage.bicep');
    expect(wiring().host.path).toBe('app/storage.bicep');
    const storage = loadBicep(join(INFRA, 'app/storage.bicep'));
    expect(storage.code).toMatch(
      /'Microsoft\.Storage\/storageAccounts\/blobServices\/containers@[^']+'\s*=\s*\[\s*for\s+\w+\s+in\s+containers\s*:/,
    );
    expect(storage.code).toMatch(
      /'Microsoft\.Storage\/storageAccounts\/queueServices\/queues@[^']+'\s*=\s*\[\s*for\s+\w+\s+in\s+queues\s*:/,
    );
    const account = declarationBody(storage, /^resource\s+\w+\s+'Microsoft\.Storage\/storageAccounts@[^']+'\s*=\s*/m);
    const props = account === undefined ? undefined : entryBody(storage, account, 'properties');
    expect(props, 'storage.bicep: account properties').toBeDefined();
    const entries = topLevelEntries(storage, props ?? { start: 0, end: 0 });
    expect(entries.get('allowSharedKeyAccess')).toBe('false');
    expect(entries.get('allowBlobPublicAccess')).toBe('false');
    expect(entries.get('minimumTlsVersion')).toBe("'TLS1_2'");
  });

  it('puts the Flex Consumption deployment container in the host account', () => {
    const { host, functionApp } = wiring();
    expect(arrayItems(main, host.paramsBody, 'containers')).toContain(functionApp.params.get('deploymentContainerName'));
    expect(outputOwner(functionApp.params.get('hostBlobEndpoint'))).toBe(host.symbol);
  });

  it('publishes blob events of the data account', () => {
    const { topic, data } = wiring();
    expect(outputOwner(topic.params.get('storageAccountId'))).toBe(data.symbol);
    expect(readFileSync(join(INFRA, 'app/eventgrid.bicep'), 'utf8')).toMatch(/topicType:\s*'Microsoft\.Storage\.StorageAccounts'/);
  });
});

describe('role assignments', () => {
  const assignments = lazy(() =>
    mainModules.filter((c) => /roleAssignments@/.test(readFileSync(resolve(INFRA, c.path), 'utf8'))).flatMap(roleAssignments),
  );
  const worker = (): string => `${wiring().identity}.outputs.principalId`;
  const capabilities = (target: string, principal: string): Set<Capability> =>
    new Set(
      assignments()
        .filter((a) => a.target === target && a.principal === principal)
        .flatMap((a) => ROLE_CAPABILITIES[a.role] ?? []),
    );

  it('declares every role id as a variable whose comment names the role', () => {
    for (const path of bicepFiles()) {
      const src = readFileSync(path, 'utf8');
      for (const line of src.split('\n')) {
        for (const guid of line.match(GUID) ?? []) {
          const name = BUILT_IN_ROLES[guid.toLowerCase()];
          expect(name, `${relative(ROOT, path)}: ${guid} is not in the built-in role table`).toBeDefined();
          expect(line, `${relative(ROOT, path)}: ${guid}`).toMatch(new RegExp(`^var\\s+\\w+\\s*=\\s*'${guid}'\\s*//\\s*${name}\\s*$`));
        }
      }
    }
  });

  it('scopes every assignment to one resource and derives its name from scope, principal and role', () => {
    expect(assignments().length).toBeGreaterThanOrEqual(8);
  });

  it('lets the worker read uploads, write results and work the queues in the data account', () => {
    const have = capabilities(`${wiring().data.symbol}.outputs.name`, worker());
    const needs: readonly Capability[] = [
      'blob:read',
      'blob:write',
      'queue:send',
      'queue:receive',
      'queue:delete',
      'queue:update',
      'queue:create',
    ];
    for (const need of needs) expect(have.has(need), `worker on data storage: ${need}`).toBe(true);
  });

  it('gives the host storage the roles the Functions host needs', () => {
    const roles = assignments()
      .filter((a) => a.target === `${wiring().host.symbol}.outputs.name` && a.principal === worker())
      .map((a) => a.role);
    expect(roles).toContain('Storage Blob Data Owner');
    expect(roles).toContain('Storage Queue Data Contributor');
  });

  it('lets the worker call Azure OpenAI and publish telemetry', () => {
    const accountName = wiring().openAi.params.get('name') ?? '<no name>';
    const access = mainModules.find((c) => c.path === 'app/openai-access.bicep' && c.params.get('openAiAccountName') === accountName);
    expect(access, 'openai-access module for the created account').toBeDefined();
    expect(capabilities(accountName, worker()).has('openai:inference')).toBe(true);
    expect(capabilities(`${wiring().monitoring}.outputs.applicationInsightsName`, worker()).has('telemetry:publish')).toBe(true);
  });

  it('lets the Event Grid topic, with its own identity, write dead letters to that one container only', () => {
    const topicPrincipal = `${wiring().topic.symbol}.outputs.principalId`;
    expect(readFileSync(join(INFRA, 'app/eventgrid.bicep'), 'utf8')).toMatch(/identity:\s*\{\s*type:\s*'SystemAssigned'\s*\}/);
    const granted = assignments().filter((a) => a.principal === topicPrincipal);
    expect(granted.map((a) => [a.target, a.role])).toEqual([['deadLetterContainerName', 'Storage Blob Data Contributor']]);
  });

  it('lets the deploying user upload test files and read results', () => {
    const have = capabilities(`${wiring().data.symbol}.outputs.name`, 'principalId');
    expect(have.has('blob:read') && have.has('blob:write')).toBe(true);
  });

  it('deploys a current model the worker knows, on the v1 API, upgraded rather than stopped at retirement', () => {
    const model = evaluateString(main, 'openAiModelName');
    const family = resolveModelFamily(model);
    expect(family.known, `${model} is in src/models/modelFamilies.ts`).toBe(true);
    expect(family.family.request.shape, 'a current (reasoning) family').toBe('reasoning');
    expect(evaluateString(main, 'openAiModelVersion')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(evaluateString(main, 'azureOpenAiApiVersion'), 'empty: the v1 API').toBe('');
    expect(readFileSync(join(INFRA, 'app/openai.bicep'), 'utf8')).toMatch(/^\s*versionUpgradeOption:\s*'OnceCurrentVersionExpired'\s*$/m);
  });

  it('keeps keys off: OpenAI and Application Insights accept Entra ID only', () => {
    expect(readFileSync(join(INFRA, 'app/openai.bicep'), 'utf8')).toMatch(/^\s*disableLocalAuth:\s*true\s*$/m);
    expect(readFileSync(join(INFRA, 'app/openai.bicep'), 'utf8')).toMatch(/^\s*kind:\s*'OpenAI'\s*$/m);
    expect(readFileSync(join(INFRA, 'app/monitoring.bicep'), 'utf8')).toMatch(/^\s*DisableLocalAuth:\s*true\s*$/m);
  });
});

describe('event subscription script', () => {
  const outputs = lazy(mainOutputs);
  /** Variables azd itself puts in the hook environment, not template outputs. */
  const AZD_PROVIDED = new Set(['AZURE_SUBSCRIPTION_ID', 'AZURE_ENV_NAME', 'TMPDIR']);

  it.each([
    [
      'create-event-subscription.sh',
      {
        functionName: /^ENQUEUE_FUNCTION_NAME="(\w+)"$/m,
        subscription: /^SUBSCRIPTION_NAME="([\w-]+)"$/m,
        attempts: /^MAX_DELIVERY_ATTEMPTS=(\d+)$/m,
        ttl: /^EVENT_TTL_MINUTES=(\d+)$/m,
      },
      /\$\{(\w+)(?::-[^}]*)?\}|\$(\w+)/g,
      /^(\w+)=/gm,
    ],
    [
      'create-event-subscription.ps1',
      {
        functionName: /^\$EnqueueFunctionName = '(\w+)'$/m,
        subscription: /^\$SubscriptionName = '([\w-]+)'$/m,
        attempts: /^\$MaxDeliveryAttempts = (\d+)$/m,
        ttl: /^\$EventTtlMinutes = (\d+)$/m,
      },
      /\$env:(\w+)|\$\{env:(\w+)\}/g,
      /^\$(\w+)\s*=/gm,
    ],
  ] as const)(
    '%s subscribes enqueueUpload to BlobCreated of the input container, with retries and dead letters',
    (name, constants, envPattern, localPattern) => {
      const script = readFileSync(join(ROOT, 'scripts/infra', name), 'utf8');
      expect(constants.functionName.exec(script)?.[1]).toBe(BLOB_CREATED_SUBSCRIPTION.functionName);
      expect(BLOB_CREATED_SUBSCRIPTION.functionName).toBe(FUNCTION_NAMES.enqueueUpload);
      expect(constants.subscription.exec(script)?.[1]).toBe(BLOB_CREATED_SUBSCRIPTION.name);
      expect(Number(constants.attempts.exec(script)?.[1])).toBe(BLOB_CREATED_SUBSCRIPTION.maxDeliveryAttempts);
      expect(Number(constants.ttl.exec(script)?.[1])).toBe(BLOB_CREATED_SUBSCRIPTION.eventTimeToLiveMinutes);
      // The Event Grid trigger's webhook takes the plain function name and the eventgrid_extension system key.
      expect(script).toMatch(
        /https:\/\/\$(?:\{AZURE_FUNCTION_APP_NAME\}|\(\$env:AZURE_FUNCTION_APP_NAME\))\.azurewebsites\.net\/runtime\/webhooks\/eventgrid\?functionName=\$(?:\{ENQUEUE_FUNCTION_NAME\}|EnqueueFunctionName)&code=/,
      );
      expect(script).not.toMatch(/webhooks\/blobs|blobs_extension|Host\.Functions\./);
      expect(script).toMatch(/az functionapp keys list/);
      expect(script).toMatch(/systemKeys\.eventgrid_extension/);
      expect(script).toMatch(/az eventgrid system-topic event-subscription create/);
      expect(script).toMatch(new RegExp(`--included-event-types ${BLOB_CREATED_SUBSCRIPTION.eventType.replace(/\./g, '\\.')}`));
      expect(script).toMatch(/--endpoint-type webhook/);
      expect(script).toMatch(/\/blobServices\/default\/containers\/\$(?:\{INPUT_CONTAINER\}|\(\$env:INPUT_CONTAINER\))\/blobs\//);
      expect(script).toMatch(/--max-delivery-attempts "?\$(?:MAX_DELIVERY_ATTEMPTS|MaxDeliveryAttempts)"?/);
      expect(script).toMatch(/--event-ttl "?\$(?:EVENT_TTL_MINUTES|EventTtlMinutes)"?/);
      expect(script).toMatch(/--deadletter-identity systemassigned/);
      expect(script).toMatch(/--deadletter-identity-endpoint "?\$(?:env:)?EVENT_GRID_DEADLETTER_ENDPOINT"?/);
      // Every value the script takes from azd is an output of main.bicep (or provided by azd itself).
      const locals = new Set([...script.matchAll(localPattern)].map((m) => m[1]));
      const used = new Set(
        [...script.matchAll(envPattern)]
          .map((m) => m[1] ?? m[2] ?? '')
          .filter((v) => /^[A-Z][A-Z0-9_]+$/.test(v) && !locals.has(v) && !AZD_PROVIDED.has(v)),
      );
      expect(used.size).toBeGreaterThan(0);
      for (const variable of used)
        expect(outputs().has(variable), `${name} reads ${variable}, which main.bicep does not output`).toBe(true);
    },
  );

  it('reads the input container the app is configured with', () => {
    expect(outputs().get('INPUT_CONTAINER')).toBe(appSettings().get(SETTINGS.inputContainer));
    expect(evaluateString(main, outputs().get('INPUT_CONTAINER') ?? '')).toBe(DEFAULT_NAMES.inputContainer);
    const app = moduleCall((c) => c.path === 'app/function-app.bicep', 'the function app');
    expect(outputOwner(outputs().get('AZURE_FUNCTION_APP_NAME'))).toBe(app.symbol);
    const topic = moduleCall((c) => c.path === 'app/eventgrid.bicep', 'the Event Grid system topic');
    expect(outputOwner(outputs().get('EVENT_GRID_SYSTEM_TOPIC_NAME'))).toBe(topic.symbol);
  });

  it('dead-letters to the container the local host uses, in the data account the worker sweeps, created by the template', () => {
    const { data, host } = wiring();
    expect(outputs().get('EVENT_GRID_DEADLETTER_ENDPOINT')).toBe(
      `'\${${data.symbol}.outputs.id}/blobServices/default/containers/\${deadLetterContainerName}'`,
    );
    expect(evaluateString(main, 'deadLetterContainerName')).toBe(DEFAULT_NAMES.deadLetterContainer);
    expect(arrayItems(main, data.paramsBody, 'containers')).toContain('deadLetterContainerName');
    expect(arrayItems(main, host.paramsBody, 'containers')).not.toContain('deadLetterContainerName');
  });
});

describe('azure.yaml', () => {
  interface AzureYaml {
    name?: unknown;
    services?: Record<string, { project?: unknown; language?: unknown; host?: unknown }>;
    hooks?: { postdeploy?: Record<string, { shell?: unknown; run?: unknown }> };
  }
  const azureYaml = lazy(() => parseYaml(readFileSync(join(ROOT, 'azure.yaml'), 'utf8')) as AzureYaml);

  it('deploys this package as a TypeScript function app', () => {
    expect(azureYaml().name).toBe('blob-vision-worker');
    const services = Object.entries(azureYaml().services ?? {});
    expect(services).toHaveLength(1);
    const [key, service] = services[0] ?? ['', {}];
    expect(service).toMatchObject({ project: '.', language: 'ts', host: 'function' });
    // azd finds the app by its azd-service-name tag, which must be the service key.
    expect(evaluateString(main, 'serviceName')).toBe(key);
    expect(moduleCall((c) => c.path === 'app/function-app.bicep', 'the function app').params.get('serviceName')).toBe('serviceName');
  });

  it.each([
    ['posix', 'sh'],
    ['windows', 'pwsh'],
  ])('runs the event subscription script after deploy on %s', (platform, shell) => {
    const hook = azureYaml().hooks?.postdeploy?.[platform];
    expect(hook?.shell).toBe(shell);
    expect(typeof hook?.run).toBe('string');
    const run = String(hook?.run);
    expect(run).toMatch(/scripts\/infra\/create-event-subscription\.(sh|ps1)$/);
    expect(existsSync(join(ROOT, run)), `${run} exists`).toBe(true);
  });
});

describe('templates', () => {
  it('gets every param of main.bicep without a default from main.parameters.json', () => {
    const file = JSON.parse(readFileSync(join(INFRA, 'main.parameters.json'), 'utf8')) as { parameters: Record<string, unknown> };
    const declared = params(main);
    const required = [...declared].filter(([, p]) => p.defaultValue === undefined).map(([name]) => name);
    expect(required).toEqual(expect.arrayContaining(['environmentName', 'location']));
    for (const name of required) expect(Object.keys(file.parameters), `main.parameters.json lacks ${name}`).toContain(name);
    for (const name of Object.keys(file.parameters)) expect(declared.has(name), `main.parameters.json sets undeclared ${name}`).toBe(true);
  });

  it('references module files that exist, and leaves none unused', () => {
    const referenced = new Set<string>();
    for (const path of bicepFiles()) {
      const file = loadBicep(path);
      for (const m of file.code.matchAll(/^module\s+\w+\s+'([^']+)'/gm)) {
        const target = m[1] ?? '';
        if (/^(br|ts)[:/]/.test(target)) continue;
        const full = resolve(dirname(path), target);
        expect(existsSync(full), `${relative(ROOT, path)} -> ${target}`).toBe(true);
        referenced.add(full);
      }
    }
    for (const path of bicepFiles().slice(1)) expect(referenced.has(path), `${relative(ROOT, path)} is not used`).toBe(true);
    const json = /loadJsonContent\('([^']+)'\)/.exec(main.code)?.[1];
    if (json !== undefined) expect(existsSync(join(INFRA, json))).toBe(true);
  });

  it('pins API versions of the form YYYY-MM-DD(-preview), one per type, all in the docs table', () => {
    const docs = readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8');
    const table = new Map<string, string>();
    for (const m of docs.matchAll(/^\|\s*`([\w.]+\/[\w/]+)`\s*\|\s*`?([^|`\s]+)`?\s*\|/gm)) {
      if (m[1] !== undefined && m[2] !== undefined) table.set(m[1], m[2]);
    }
    const used = new Map<string, Set<string>>();
    for (const path of bicepFiles()) {
      for (const m of loadBicep(path).code.matchAll(/'([A-Za-z]+\.[A-Za-z]+\/[A-Za-z/]+)@([^']+)'/g)) {
        const [type, version] = [m[1] ?? '', m[2] ?? ''];
        expect(version, `${relative(ROOT, path)}: ${type}`).toMatch(/^\d{4}-\d{2}-\d{2}(-preview)?$/);
        used.set(type, (used.get(type) ?? new Set()).add(version));
      }
    }
    expect(used.size).toBeGreaterThan(10);
    for (const [type, versions] of used) {
      expect([...versions], `${type} uses several API versions`).toHaveLength(1);
      expect(table.get(type), `docs/deploy.md table: ${type}`).toBe([...versions][0]);
    }
    for (const type of table.keys()) expect(used.has(type), `docs/deploy.md lists ${type}, which no template uses`).toBe(true);
  });

  it('runs on Flex Consumption with node 20 and the identity for the deployment package', () => {
    const src = readFileSync(join(INFRA, 'app/function-app.bicep'), 'utf8');
    expect(src).toMatch(/name:\s*'FC1'/);
    expect(src).toMatch(/tier:\s*'FlexConsumption'/);
    expect(src).toMatch(/kind:\s*'functionapp,linux'/);
    expect(src).toMatch(/type:\s*'UserAssignedIdentity'/);
    const app = moduleCall((c) => c.path === 'app/function-app.bicep', 'the function app');
    expect(app.params.get('runtimeName')).toBe("'node'");
    expect(app.params.get('runtimeVersion')).toBe("'20'");
    expect(app.params.has('maximumInstanceCount') && app.params.has('instanceMemoryMB')).toBe(true);
  });

  it('alerts on the metrics the worker publishes', () => {
    const file = loadBicep(join(INFRA, 'app/alerts.bicep'));
    const body = declarationBody(file, /^var\s+metricNames\s*=\s*/m);
    const names = topLevelEntries(file, body ?? { start: 0, end: 0 });
    expect([...names.values()].map((v) => evaluateString(file, v)).sort()).toEqual([...ALERT_METRICS].sort());
    for (const key of names.keys()) expect(file.code, `metricNames.${key} is not used by any alert`).toContain(`\${metricNames.${key}}`);
    // The code logs these names, as lines whose event the queries select.
    for (const name of ALERT_METRICS) expect(Object.values(METRIC_NAMES), `src/ops/metricLines.ts does not emit ${name}`).toContain(name);
    expect(file.code).toContain(`tostring(m.event) == "${METRIC_EVENT}"`);
    expect(file.code).toMatch(/'traces \|/);
    expect(moduleCall((c) => c.path === 'app/alerts.bicep', 'alerts').params.has('applicationInsightsId')).toBe(true);
  });
});
