import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Copies local.settings.json's Values into the environment, as `func start` does; the environment wins. */
export function loadLocalSettings(env: NodeJS.ProcessEnv, path = resolve('local.settings.json')): void {
  if (!existsSync(path)) return;
  const values = (JSON.parse(readFileSync(path, 'utf8')) as { Values?: Record<string, string> }).Values ?? {};
  for (const [name, value] of Object.entries(values)) env[name] ??= value;
}
