import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Copies local.settings.json's Values into the environment, as `func start` does; the environment wins. */
export function loadLocalSettings(env: NodeJS.ProcessEnv, path = resolve('local.settings.json')): void {
  if (!existsSync(path)) return;
  const values = (JSON.parse(readFileSync(path, 'utf8')) as { Values?: Record<string, string> }).Values ?? {};
  for (const [name, value] of Object.entries(values)) env[name] ??= value;
}

/** `Host.LocalHttpPort` of local.settings.json, the port `func start` listens on (it also takes `--port`). */
export function localHttpPort(path = resolve('local.settings.json')): number | undefined {
  if (!existsSync(path)) return undefined;
  const port = (JSON.parse(readFileSync(path, 'utf8')) as { Host?: { LocalHttpPort?: unknown } }).Host?.LocalHttpPort;
  if (port === undefined) return undefined;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`local.settings.json: Host.LocalHttpPort must be a port number, got ${JSON.stringify(port)}`);
  }
  return port;
}
