/**
 * The compiled app in plain Node ESM, as the Functions host and `npm start` load it (vitest's own module
 * loader forgives import mistakes that Node does not). Needs `npm run build`, which `npm test` runs first.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { BINDING_EXPRESSIONS, DATA_CONNECTION, FUNCTION_NAMES } from '../../src/names.js';
import { createStorageClients } from '../../src/storage/clients.js';
import { ResultStore } from '../../src/storage/resultStore.js';
import { uniqueNames, testEnv } from '../support/testHost.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dist = (path: string): string => `${root}dist/${path}`;

describe('compiled entry points', () => {
  it('are built', () => {
    expect(existsSync(dist('index.js')), 'run `npm run build` first').toBe(true);
  });

  it('register the three functions with the bindings the Functions host needs, in plain Node', () => {
    const script = `
      const { loadFunctionApp } = await import(${JSON.stringify(dist('local/functionApp.js'))});
      const fns = await loadFunctionApp();
      console.log(JSON.stringify(fns.map((f) => ({ name: f.name, bindings: Object.values(f.bindings) }))));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(run.stderr).not.toMatch(/SyntaxError|does not provide an export/);
    expect(run.status).toBe(0);
    const functions = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '[]') as { name: string; bindings: Record<string, unknown>[] }[];
    const byName = new Map(functions.map((fn) => [fn.name, fn.bindings]));
    expect([...byName.keys()].sort()).toEqual(Object.values(FUNCTION_NAMES).sort());
    expect(byName.get(FUNCTION_NAMES.enqueueUpload)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'eventGridTrigger', direction: 'in' }),
        expect.objectContaining({ type: 'queue', direction: 'out', queueName: BINDING_EXPRESSIONS.jobsQueue, connection: DATA_CONNECTION }),
      ]),
    );
    expect(byName.get(FUNCTION_NAMES.processJob)).toEqual([
      expect.objectContaining({ type: 'queueTrigger', queueName: BINDING_EXPRESSIONS.jobsQueue, connection: DATA_CONNECTION }),
    ]);
    expect(byName.get(FUNCTION_NAMES.recordPoison)).toEqual([
      expect.objectContaining({ type: 'queueTrigger', queueName: BINDING_EXPRESSIONS.poisonQueue, connection: DATA_CONNECTION }),
    ]);
  });

  it('load under the real @azure/functions package without the local host (test mode)', () => {
    const files = ['index.js', ...Object.values(FUNCTION_NAMES).map((name) => `functions/${name}.js`)];
    const script = files.map((file) => `await import(${JSON.stringify(dist(file))});`).join('\n');
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(run.stderr).not.toMatch(/SyntaxError|does not provide an export|ERR_/);
    expect(run.status).toBe(0);
  });

  it('package.json main names the compiled entry points', () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { main: string };
    expect(pkg.main).toBe('dist/{index.js,functions/*.js}');
  });

  it('`npm start` says what to do when the embedded Azurite cannot have its ports', async () => {
    // Held here unless something else already holds it: either way the port is taken.
    const holder = createServer();
    await new Promise<void>((resolve) => holder.once('error', () => resolve()).listen(10000, '127.0.0.1', resolve));
    const cwd = mkdtempSync(join(tmpdir(), 'bvw-start-'));
    try {
      const env = { ...process.env, DataStorage: 'UseDevelopmentStorage=true', AzureWebJobsStorage: 'UseDevelopmentStorage=true' };
      const run = spawnSync(process.execPath, [dist('local/main.js')], { cwd, env, encoding: 'utf8', timeout: 30_000 });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('Cannot start the embedded Azurite: port 10000 or 10001 is in use');
      expect(run.stderr).toContain('set DataStorage');
      expect(run.stderr).not.toMatch(/\n\s+at /);
    } finally {
      holder.close();
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('`npm start` (node dist/local/main.js) processes an upload and drains on SIGTERM', async () => {
    const names = uniqueNames();
    const env = testEnv(names, { LOG_LEVEL: 'info' });
    const child = spawn(process.execPath, [dist('local/main.js')], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 30_000;
      while (!output.includes('local host is running')) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`host did not start:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(output).toContain('npm run submit');
      expect(output).toMatch(/ops page: +http:\/\/127\.0\.0\.1:\d+\/ops\//);
      const storage = createStorageClients({
        kind: 'connectionString',
        connectionString: inject('storageConnectionString'),
        setting: DATA_CONNECTION,
      });
      const photo = readFileSync(new URL('../fixtures/photo.jpg', import.meta.url));
      await storage.blobs.getContainerClient(names.inputContainer).getBlockBlobClient('cli/photo.jpg').uploadData(photo);
      const results = new ResultStore(storage.blobs.getContainerClient(names.resultsContainer));
      let record;
      while (record === undefined) {
        if (Date.now() > deadline + 30_000) throw new Error(`no result:\n${output}`);
        record = await results.read('cli/photo.jpg.json');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(record.status).toBe('succeeded');
      expect(output).toMatch(/"event":"job.succeeded"/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
