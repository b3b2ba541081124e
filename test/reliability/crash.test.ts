/**
 * The local host killed mid-batch: `node dist/local/main.js` (as `npm start` runs it) works through 120
 * uploads against a model that takes ANSWER_MS per answer, is killed with SIGKILL once a quarter of them
 * have records, and is started again. Every upload must still end with exactly one final record, for
 * its content, and nothing may be left in the queues. Both runs use `--lease-seconds 4`, so the messages
 * the killed host had leased come back after seconds rather than the default 10 minutes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { SETTINGS } from '../../src/names.js';
import { resultRecordSchema } from '../../src/contracts/resultRecord.js';
import { createStorageClients, type StorageClients } from '../../src/storage/clients.js';
import { ResultStore } from '../../src/storage/resultStore.js';
import { resultPath } from '../../src/contracts/blobPaths.js';
import { deploymentEnv, startOpenAiCompatibleServer, type OpenAiCompatibleServer } from '../support/openaiCompatibleServer.js';
import { blobNames } from '../support/jobs.js';
import { messageCount, waitFor, waitForEmpty } from '../support/storage.js';
import { testEnv, uniqueNames } from '../support/testHost.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = `${ROOT}dist/local/main.js`;
const FILES = 120;
const KILL_AFTER_RECORDS = 30;
const ANSWER_MS = 300;

interface Host {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startHost(env: Record<string, string | undefined>): Promise<Host> {
  const child = spawn(process.execPath, [MAIN, '--lease-seconds', '4', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  await waitFor('the local host to start', () => output.includes('local host is running') || child.exitCode !== null, 30_000);
  if (child.exitCode !== null) throw new Error(`the host exited at start:\n${output}`);
  return { child, output: () => output, exited };
}

const countEvents = (output: string, event: string): number =>
  output.split('\n').filter((line) => line.includes(`"event":"${event}"`)).length;

describe('the local host killed with SIGKILL mid-batch and started again', () => {
  let server: OpenAiCompatibleServer;
  let config: Config;
  let storage: StorageClients;
  let env: Record<string, string | undefined>;
  const hosts: Host[] = [];

  beforeAll(async () => {
    expect(existsSync(MAIN), 'run `npm run build` first').toBe(true);
    server = await startOpenAiCompatibleServer();
    server.setHandler(() => ({ delayMs: ANSWER_MS, then: {} }));
    env = testEnv(uniqueNames(), {
      ...deploymentEnv(server.url),
      MODEL_MAX_RETRIES: '1',
      MODEL_TIMEOUT_MS: '10000',
      // A configured quota far above the test's needs: the rate limiter lets a whole batch call at once.
      [SETTINGS.modelTpm]: '100000000',
      [SETTINGS.modelRpm]: '100000',
      LOG_LEVEL: 'info',
    });
    config = loadConfig(env);
    storage = createStorageClients({
      kind: 'connectionString',
      connectionString: inject('storageConnectionString'),
      setting: 'DataStorage',
    });
  });
  afterAll(async () => {
    for (const host of hosts) if (host.child.exitCode === null && host.child.signalCode === null) host.child.kill('SIGKILL');
    await Promise.all(hosts.map((host) => host.exited));
    await server.close();
  });

  it(`ends each of ${FILES} uploads with exactly one record`, async () => {
    const input = storage.blobs.getContainerClient(config.names.inputContainer);
    const results = storage.blobs.getContainerClient(config.names.resultsContainer);
    await input.createIfNotExists();
    const etags = new Map<string, string>();
    for (let i = 0; i < FILES; i++) {
      const name = `crash/${String(i).padStart(3, '0')}.png`;
      const bytes = await sharp({ create: { width: 64 + i, height: 40, channels: 3, background: { r: i * 2, g: 255 - i * 2, b: 90 } } })
        .png()
        .toBuffer();
      etags.set(name, (await input.getBlockBlobClient(name).uploadData(bytes)).etag ?? '');
    }

    const first = await startHost(env);
    hosts.push(first);
    const recordsBeforeKill = await waitFor(
      `${KILL_AFTER_RECORDS} records`,
      async () => {
        const count = (await blobNames(results)).length;
        return count >= KILL_AFTER_RECORDS ? count : undefined;
      },
      60_000,
    );
    // Killed while model calls are in flight: right after the next request arrives.
    const requestsSoFar = server.requests.length;
    await waitFor('a model call in flight', () => server.requests.length > requestsSoFar, 30_000);
    const killedAt = performance.now();
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    // Each answer goes out ANSWER_MS after its request arrived: younger requests were still unanswered.
    const inFlightAtKill = server.requests.filter(
      (request) => request.receivedAt <= killedAt && killedAt - request.receivedAt < ANSWER_MS,
    ).length;
    const recordsAtKill = (await blobNames(results)).length;

    const second = await startHost(env);
    hosts.push(second);
    await waitFor(`${FILES} records`, async () => (await blobNames(results)).length >= FILES || undefined, 90_000);
    await waitForEmpty(storage.queues.getQueueClient(config.names.jobsQueue), 30_000);

    const names = await blobNames(results);
    expect(names.sort()).toEqual([...etags.keys()].map(resultPath).sort());
    const store = new ResultStore(results);
    let retried = 0;
    for (const [name, etag] of etags) {
      const record = resultRecordSchema.parse(await store.read(resultPath(name)));
      expect(record.status, name).toBe('succeeded');
      expect(record.source.etag, name).toBe(etag);
      if (record.attempt > 1) retried += 1;
    }
    expect(await messageCount(storage.queues.getQueueClient(config.names.poisonQueue))).toBe(0);
    const arrivals = server.requests.map((request) => request.receivedAt);
    const peakConcurrency = Math.max(...arrivals.map((at) => arrivals.filter((other) => other >= at && other - at < ANSWER_MS).length));
    const output = first.output() + second.output();
    expect(countEvents(output, 'job.poisoned')).toBe(0);
    console.log(
      [
        `crash test: ${FILES} uploads; SIGKILL after ${recordsBeforeKill} records (${recordsAtKill} at the kill, ${inFlightAtKill} model calls in flight)`,
        `  after the restart: ${names.length} records, all succeeded, each for its upload's ETag; ${retried} written by a second delivery`,
        `  model requests: ${server.requests.length} for ${FILES} uploads (up to ${peakConcurrency} at once); duplicate jobs skipped: ${countEvents(second.output(), 'job.skipped')}`,
        `  queues afterwards: ${config.names.jobsQueue} 0, ${config.names.poisonQueue} 0`,
      ].join('\n'),
    );
  });
});
