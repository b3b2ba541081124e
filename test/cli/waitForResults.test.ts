/**
 * `submit --wait` waits as long as a worker takes the jobs, whatever the batch takes, and says so when none
 * does: first its rules, then on real Azurite with and without a host, then through `npm run submit`.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { progressLine, waitForResults, workerActive } from '../../src/cli/waitForResults.js';
import { loadConfig } from '../../src/config.js';
import { ensureStorage } from '../../src/runtime.js';
import { createStorageClients } from '../../src/storage/clients.js';
import { ResultStore } from '../../src/storage/resultStore.js';
import { fixture } from '../support/fixtures.js';
import { startTestHost, testEnv, uniqueNames, type TestHost } from '../support/testHost.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('progressLine', () => {
  it('says what is done, what is left and, once something is done, how long the rest takes at the rate so far', () => {
    expect(progressLine({ total: 45, done: 12, queued: 31, elapsedMs: 15_000 })).toBe(
      '12 of 45 done, 33 waiting (31 on the queue), ~42 s left at 0.8 files/s',
    );
    expect(progressLine({ total: 45, done: 0, queued: 45, elapsedMs: 5_000 })).toBe('0 of 45 done, 45 waiting (45 on the queue)');
  });
});

describe('workerActive', () => {
  const figures = (depth: number, oldestAgeSeconds: number | null) => ({ queue: 'jobs', depth, oldestAgeSeconds });

  it('counts a record, a change of the queue, or jobs all held by a worker as signs of one', () => {
    expect(workerActive(figures(5, 3), figures(5, 4), 1)).toBe(true);
    expect(workerActive(figures(5, 3), figures(4, 4), 0)).toBe(true);
    expect(workerActive(undefined, figures(3, null), 0)).toBe(true);
  });

  it('sees none while jobs wait untaken, or while nothing was ever queued', () => {
    expect(workerActive(figures(5, 3), figures(5, 4), 0)).toBe(false);
    expect(workerActive(undefined, figures(5, 4), 0)).toBe(false);
    expect(workerActive(figures(0, null), figures(0, null), 0)).toBe(false);
  });
});

describe('waiting with no worker running', () => {
  const names = uniqueNames();
  const config = loadConfig(testEnv(names));
  const storage = createStorageClients({
    kind: 'connectionString',
    connectionString: inject('storageConnectionString'),
    setting: 'DataStorage',
  });
  const results = new ResultStore(storage.blobs.getContainerClient(names.resultsContainer));
  const queue = storage.queues.getQueueClient(names.jobsQueue);
  beforeAll(async () => {
    await ensureStorage(storage, config);
    await queue.sendMessage('a job nobody takes');
  });

  it('stops once nothing has changed for the stall time and says that no worker takes the jobs', async () => {
    const lines: string[] = [];
    const outcome = await waitForResults({
      results,
      queue,
      etags: new Map([['a.png', '"0x1"']]),
      print: (line) => lines.push(line),
      stallMs: 1500,
      pollMs: 100,
    });
    expect(outcome).toEqual({ succeeded: 0, failed: 0, pending: 1, ended: 'no worker' });
    expect(lines.join('\n')).toContain(`No worker is taking jobs from "${names.jobsQueue}": is \`npm start\` running?`);
    expect(lines.at(-1)).toMatch(/^0 succeeded, 0 failed, 1 still pending after \d+ s\.$/);
  });

  it('stops at an explicit timeout first', async () => {
    const outcome = await waitForResults({
      results,
      queue,
      etags: new Map([['a.png', '"0x1"']]),
      print: () => undefined,
      timeoutMs: 300,
      pollMs: 100,
    });
    expect(outcome.ended).toBe('timed out');
  });
});

describe('waiting for a running worker', () => {
  let t: TestHost;
  beforeAll(async () => {
    t = await startTestHost();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('keeps waiting past the stall time while the worker takes the jobs', async () => {
    // OCR of invoices takes longer than the stall time: only the signs of a working worker keep the wait going.
    const etags = new Map<string, string>();
    for (const name of ['invoices/a.png', 'invoices/b.png', 'invoices/c.png', 'invoices/d.png', 'e.jpg']) {
      etags.set(name, await t.upload(name, fixture(name.endsWith('.png') ? 'invoice.png' : 'photo.jpg')));
    }
    const lines: string[] = [];
    const queue = t.storage.queues.getQueueClient(t.config.names.jobsQueue);
    const started = Date.now();
    const outcome = await waitForResults({
      results: t.results,
      queue,
      etags,
      print: (line) => lines.push(line),
      stallMs: 1500,
      pollMs: 100,
    });
    expect(outcome, lines.join('\n')).toEqual({ succeeded: 5, failed: 0, pending: 0, ended: 'done' });
    expect(Date.now() - started).toBeGreaterThan(1500);
    expect(lines.filter((line) => line.startsWith('  ok   '))).toHaveLength(5);
    expect(lines.at(-1)).toBe('5 succeeded, 0 failed.');
  });

  it('is what `npm run submit -- --wait` does, and --timeout takes only seconds', async () => {
    const tsx = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
    const env = { ...process.env, ...testEnv(t.config.names), INIT_CWD: ROOT };
    // Not spawnSync: the host runs in this process and must keep working while the CLI waits.
    const run = (...args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = execFile(
          process.execPath,
          [tsx, 'src/cli/submit.ts', ...args],
          { cwd: ROOT, env, timeout: 50_000 },
          (_error, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }),
        );
      });

    const submitted = await run('--wait', '--prefix', 'cli/', 'test/fixtures/photo.jpg');
    expect(submitted.status, submitted.stdout + submitted.stderr).toBe(0);
    expect(submitted.stdout).toMatch(/ {2}ok {3}cli\/test\/fixtures\/photo\.jpg \(describe, \d+ ms\)\n1 succeeded, 0 failed\.\n$/);

    const refused = await run('--wait', '--timeout', 'soon', 'test/fixtures/photo.jpg');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('--timeout expects a number of seconds, received "soon"');
  });
});
