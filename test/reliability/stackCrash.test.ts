/**
 * The whole local stack killed: `node dist/local/main.js` (as `npm start` runs it) with its embedded
 * Azurite and the offline provider, its process group killed with SIGKILL mid-batch, then started again
 * with the default lease. Every upload must end with exactly one record, none lost to the emulator's
 * unsaved writes, and the Azurite the dead host left must not outlive it or block the restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { connectionStringFor, freePort, startAzurite } from '../../src/local/azurite.js';
import { resultRecordSchema } from '../../src/contracts/resultRecord.js';
import { createStorageClients } from '../../src/storage/clients.js';
import { ResultStore } from '../../src/storage/resultStore.js';
import { resultPath } from '../../src/contracts/blobPaths.js';
import { blobNames } from '../support/jobs.js';
import { messageCount, waitFor, waitForEmpty } from '../support/storage.js';
import { testEnv, uniqueNames } from '../support/testHost.js';

const MAIN = fileURLToPath(new URL('../../dist/local/main.js', import.meta.url));
const FILES = 120;
const KILL_AFTER_RECORDS = 25;
/** `npm start`'s lease (60 s) plus time to analyse what is left. */
const RECOVERY_BOUND_MS = 150_000;

interface Stack {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** `npm start` in `cwd` (its .azurite/ lives there), as the leader of its own process group like a terminal's job. */
async function startStack(cwd: string, env: Record<string, string | undefined>, ports: { blob: number; queue: number }): Promise<Stack> {
  const child = spawn(process.execPath, [MAIN, '--port', '0', '--blob-port', String(ports.blob), '--queue-port', String(ports.queue)], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  await waitFor('the local host to start', () => output.includes('local host is running') || child.exitCode !== null, 60_000);
  if (child.exitCode !== null) throw new Error(`the host exited at start:\n${output}`);
  return { child, output: () => output, exited };
}

describe('the whole local stack killed with SIGKILL mid-batch and started again', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'bvw-stack-'));
  const stacks: Stack[] = [];
  const names = uniqueNames();
  const env = {
    ...testEnv(names),
    DataStorage: 'UseDevelopmentStorage=true',
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    LOG_LEVEL: 'info',
  };

  afterAll(async () => {
    for (const stack of stacks) if (stack.child.exitCode === null && stack.child.signalCode === null) stack.child.kill('SIGTERM');
    await Promise.all(stacks.map((stack) => stack.exited));
    rmSync(cwd, { recursive: true, force: true });
  });

  it(`ends each of ${FILES} uploads with exactly one record, within the stated bound`, async () => {
    expect(existsSync(MAIN), 'run `npm run build` first').toBe(true);
    const ports = { blob: await freePort(), queue: await freePort() };
    const connectionString = connectionStringFor(
      `http://127.0.0.1:${ports.blob}/devstoreaccount1`,
      `http://127.0.0.1:${ports.queue}/devstoreaccount1`,
    );
    const storage = createStorageClients({ kind: 'connectionString', connectionString, setting: 'DataStorage' });
    const config = loadConfig({ ...env, DataStorage: connectionString });

    const first = await startStack(cwd, env, ports);
    stacks.push(first);
    const firstAzurite = (JSON.parse(readFileSync(join(cwd, '.azurite', 'azurite.pid'), 'utf8')) as { pid: number }).pid;
    const input = storage.blobs.getContainerClient(config.names.inputContainer);
    const results = storage.blobs.getContainerClient(config.names.resultsContainer);
    const etags = new Map<string, string>();
    for (let i = 0; i < FILES; i++) {
      const name = `stack/${String(i).padStart(3, '0')}.png`;
      const bytes = await sharp({ create: { width: 64 + i, height: 48, channels: 3, background: { r: i * 2, g: 255 - i * 2, b: 90 } } })
        .png()
        .toBuffer();
      etags.set(name, (await input.getBlockBlobClient(name).uploadData(bytes)).etag ?? '');
    }
    await waitFor(
      `${KILL_AFTER_RECORDS} records`,
      async () => ((await blobNames(results)).length >= KILL_AFTER_RECORDS ? true : undefined),
      120_000,
    );

    // The terminal's Ctrl+\ or an OOM kill of the job: every process in the host's group, at once.
    process.kill(-(first.child.pid ?? 0), 'SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const killedAt = performance.now();
    // Its Azurite is in a group of its own: it notices, saves and stops.
    await waitFor('the dead host’s Azurite to stop by itself', () => !alive(firstAzurite) || undefined, 15_000);
    const azuriteStoppedMs = performance.now() - killedAt;

    const second = await startStack(cwd, env, ports);
    stacks.push(second);
    await waitFor(`${FILES} records`, async () => ((await blobNames(results)).length >= FILES ? true : undefined), RECOVERY_BOUND_MS);
    const recoveredMs = performance.now() - killedAt;
    await waitForEmpty(storage.queues.getQueueClient(config.names.jobsQueue), 90_000);

    const written = await blobNames(results);
    expect(written.sort()).toEqual([...etags.keys()].map(resultPath).sort());
    const store = new ResultStore(results);
    for (const [name, etag] of etags) {
      const record = resultRecordSchema.parse(await store.read(resultPath(name)));
      expect(record.status, name).toBe('succeeded');
      expect(record.source.etag, name).toBe(etag);
    }
    expect(await messageCount(storage.queues.getQueueClient(config.names.poisonQueue))).toBe(0);
    console.log(
      `stack crash: ${FILES} uploads, SIGKILL of the host's group after ${KILL_AFTER_RECORDS}+ records; its Azurite stopped ` +
        `${(azuriteStoppedMs / 1000).toFixed(1)} s later; all ${FILES} records ${(recoveredMs / 1000).toFixed(1)} s after the kill`,
    );

    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });

  it('stops an Azurite a previous run left running on the same data folder before it starts its own', async () => {
    const ports = { blob: await freePort(), queue: await freePort() };
    // A run that left its emulator behind: the pid file names it, and it holds the ports.
    const stray = await startAzurite({ location: join(cwd, '.azurite'), blobPort: ports.blob, queuePort: ports.queue });
    const strayPid = (JSON.parse(readFileSync(join(cwd, '.azurite', 'azurite.pid'), 'utf8')) as { pid: number }).pid;
    const stack = await startStack(cwd, env, ports);
    stacks.push(stack);
    expect(stack.output()).toContain(`stopped the Azurite a previous run left running, pid ${strayPid}`);
    expect(alive(strayPid)).toBe(false);
    stack.child.kill('SIGTERM');
    expect((await stack.exited).code).toBe(0);
    await stray.stop();
  });
});
