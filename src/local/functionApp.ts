/**
 * Loads the function app the way the Functions host does: the `@azure/functions` package registers each
 * function with the host's core API module (`@azure/functions-core`, which only exists inside the host).
 * Here that module is provided by the local host, so it receives the very registrations — names,
 * triggers, bindings, handlers — that Azure receives, and drives the same handler functions.
 */
import { readdirSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { extname, join } from 'node:path';

export interface Binding {
  type: string;
  direction: 'in' | 'out';
  name: string;
  [property: string]: unknown;
}

export interface RegisteredFunction {
  name: string;
  bindings: Record<string, Binding>;
  handler: (...args: unknown[]) => unknown;
}

interface CoreApi {
  registerFunction(
    metadata: { name: string; bindings: Record<string, Binding> },
    handler: RegisteredFunction['handler'],
  ): { dispose(): void };
  setProgrammingModel(model: unknown): void;
  getProgrammingModel(): unknown;
  registerHook(): { dispose(): void };
  log(level: string, category: string, message: string): void;
}

const CORE_MODULE = '@azure/functions-core';
const STATE = Symbol.for('blob-vision-worker.local.functions-core');

interface CoreState {
  registry: Map<string, RegisteredFunction>;
  api: CoreApi;
}

/**
 * One core module per process: `@azure/functions` caches it on first use, so it must be installed before
 * the first registration and must outlive reloads of the function modules.
 */
function coreState(): CoreState {
  const holder = globalThis as { [STATE]?: CoreState };
  const existing = holder[STATE];
  if (existing !== undefined) return existing;
  const registry = new Map<string, RegisteredFunction>();
  let programmingModel: unknown;
  const api: CoreApi = {
    registerFunction(metadata, handler) {
      registry.set(metadata.name, { name: metadata.name, bindings: metadata.bindings, handler });
      return { dispose: () => registry.delete(metadata.name) };
    },
    setProgrammingModel: (model) => (programmingModel = model),
    getProgrammingModel: () => programmingModel,
    registerHook: () => ({ dispose: () => undefined }),
    log: () => undefined,
  };
  const state: CoreState = { registry, api };
  holder[STATE] = state;

  const moduleInternals = Module as unknown as {
    _resolveFilename: (request: string, ...rest: unknown[]) => string;
    _cache: Record<string, unknown>;
  };
  const resolve = moduleInternals._resolveFilename;
  moduleInternals._resolveFilename = function (request: string, ...rest: unknown[]): string {
    return request === CORE_MODULE ? CORE_MODULE : resolve.call(this, request, ...rest);
  };
  const require = createRequire(import.meta.url);
  require.cache[CORE_MODULE] = { id: CORE_MODULE, filename: CORE_MODULE, loaded: true, exports: api } as NodeJS.Module;
  return state;
}

/** Imports the app's entry and every module in functions/, as the package's `main` glob names them. */
export async function loadFunctionApp(): Promise<RegisteredFunction[]> {
  const { registry } = coreState();
  const here = fileURLToPath(import.meta.url);
  // Compiled (.js under dist/) or source (.ts under vitest/tsx): load the same kind of file as this one.
  const extension = extname(here);
  const root = join(here, '..', '..');
  await import(pathToFileURL(join(root, `index${extension}`)).href);
  const directory = join(root, 'functions');
  for (const file of readdirSync(directory)
    .filter((name) => name.endsWith(extension) && !name.endsWith(`.d${extension}`))
    .sort()) {
    await import(pathToFileURL(join(directory, file)).href);
  }
  return [...registry.values()];
}

export function triggerOf(fn: RegisteredFunction): Binding {
  const trigger = Object.values(fn.bindings).find((binding) => binding.direction === 'in' && /trigger$/i.test(binding.type));
  if (trigger === undefined) throw new Error(`function ${fn.name} has no trigger binding`);
  return trigger;
}

/** `%SETTING%` binding expressions are resolved from app settings, as the Functions host does. */
export function resolveBindingExpression(value: string, settings: Record<string, string | undefined>): string {
  return value.replace(/%([^%]+)%/g, (_match, name: string) => {
    const setting = settings[name]?.trim();
    if (setting === undefined || setting === '') throw new Error(`binding expression %${name}% names an app setting that is not set`);
    return setting;
  });
}
