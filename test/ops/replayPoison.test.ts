/**
 * `npm run replay-poison`: poisoned jobs go back to the job queue, filtered by blob prefix or error code,
 * in the encoding the queue trigger reads, and are counted. No host runs here, so nothing consumes the
 * queues while the test looks at them.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { beforeEach, describe, expect, inject, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { decodeMessage, encodeMessage, hostSettings } from '../../src/hostSettings.js';
import { parseJobMessage, serializeJobMessage, type JobMessage } from '../../src/contracts/jobMessage.js';
import { replayPoisoned } from '../../src/ops/replayPoisoned.js';
import { ensureStorage } from '../../src/runtime.js';
import { AttemptLog } from '../../src/storage/attemptLog.js';
import { createStorageClients, type StorageClients } from '../../src/storage/clients.js';
import { PoisonedJobs } from '../../src/storage/poisonedJobs.js';
import { messageCount } from '../support/storage.js';
import { testEnv, uniqueNames } from '../support/testHost.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENCODING = hostSettings().queues.messageEncoding;

let config: Config;
let storage: StorageClients;
let parked: PoisonedJobs;

beforeEach(async () => {
  config = loadConfig(testEnv(uniqueNames()));
  storage = createStorageClients({ kind: 'connectionString', connectionString: inject('storageConnectionString'), setting: 'DataStorage' });
  await ensureStorage(storage, config);
  parked = new PoisonedJobs(storage.blobs.getContainerClient(config.names.stateContainer));
});

const job = (blob: string, extra: Partial<JobMessage> = {}): JobMessage => ({
  v: 1,
  container: config.names.inputContainer,
  blob,
  etag: `"0x${blob.length}"`,
  contentLength: 10,
  ...extra,
});

const queue = (name: string) => storage.queues.getQueueClient(name);
const replay = (filter = {}, dryRun = false) => replayPoisoned({ storage, names: config.names, encoding: ENCODING }, filter, dryRun);

/** The jobs on the job queue, decoded as the queue trigger decodes them. */
async function jobsOnQueue(): Promise<JobMessage[]> {
  const { peekedMessageItems } = await queue(config.names.jobsQueue).peekMessages({ numberOfMessages: 32 });
  return peekedMessageItems.map((message) => parseJobMessage(decodeMessage(message.messageText, ENCODING), config.names.inputContainer));
}

async function parkedBlobs(): Promise<string[]> {
  const blobs: string[] = [];
  for await (const entry of parked.list()) blobs.push(entry.blob);
  return blobs.sort();
}

describe('replaying jobs recordPoison recorded', () => {
  beforeEach(async () => {
    await parked.park(job('invoices/a.png', { deferrals: 20 }), 'rate_limited');
    await parked.park(job('invoices/b.png'), 'model_unavailable');
    await parked.park(job('photos/c.jpg'), 'model_unavailable');
  });

  it('counts without moving on a dry run', async () => {
    const report = await replay({}, true);
    expect(report.recorded).toEqual({ matched: 3, moved: 0, byCode: { rate_limited: 1, model_unavailable: 2 } });
    expect(await messageCount(queue(config.names.jobsQueue))).toBe(0);
    expect(await parkedBlobs()).toEqual(['invoices/a.png', 'invoices/b.png', 'photos/c.jpg']);
  });

  it('moves those under a prefix, then those with an error code, each once, encoded as the trigger reads them', async () => {
    expect((await replay({ prefix: 'invoices/' })).recorded).toEqual({
      matched: 2,
      moved: 2,
      byCode: { rate_limited: 1, model_unavailable: 1 },
    });
    expect(await parkedBlobs()).toEqual(['photos/c.jpg']);
    // A replay starts afresh: the deferral count is not carried back.
    expect((await jobsOnQueue()).sort((x, y) => x.blob.localeCompare(y.blob))).toEqual([job('invoices/a.png'), job('invoices/b.png')]);

    expect((await replay({ code: 'rate_limited' })).recorded.moved).toBe(0);
    expect((await replay({ code: 'model_unavailable' })).recorded).toEqual({ matched: 1, moved: 1, byCode: { model_unavailable: 1 } });
    expect(await parkedBlobs()).toEqual([]);
    expect(await messageCount(queue(config.names.jobsQueue))).toBe(3);
  });
});

describe('replaying messages still in the poison queue', () => {
  const texts = (jobs: JobMessage[]) => jobs.map((j) => encodeMessage(serializeJobMessage(j), ENCODING));

  it('moves the message text unchanged, by prefix or by the code of the last attempt, and hands back the rest', async () => {
    const poison = queue(config.names.poisonQueue);
    const first = job('scans/1.png');
    const second = job('scans/2.png');
    const third = job('other/3.png');
    const notAJob = encodeMessage('not a job', ENCODING);
    for (const text of [...texts([first, second, third]), notAJob]) await poison.sendMessage(text);
    await new AttemptLog(storage.blobs.getContainerClient(config.names.stateContainer)).append(second.blob, second.etag, {
      at: new Date().toISOString(),
      attempt: 5,
      code: 'timeout',
      message: 'the model did not answer',
    });

    expect((await replay({ prefix: 'scans/' }, true)).unrecorded).toEqual({ matched: 2, moved: 0 });
    // What a dry run looked at is visible again at once.
    expect((await poison.peekMessages({ numberOfMessages: 32 })).peekedMessageItems).toHaveLength(4);

    expect((await replay({ code: 'timeout' })).unrecorded).toEqual({ matched: 1, moved: 1 });
    expect((await replay({ prefix: 'scans/' })).unrecorded).toEqual({ matched: 1, moved: 1 });
    expect((await replay()).unrecorded).toEqual({ matched: 2, moved: 2 });
    expect(await messageCount(poison)).toBe(0);

    const moved = (await queue(config.names.jobsQueue).peekMessages({ numberOfMessages: 32 })).peekedMessageItems.map((m) => m.messageText);
    expect(moved.sort()).toEqual([...texts([first, second, third]), notAJob].sort());
  });
});

describe('npm run replay-poison', () => {
  it('prints what it moved, and honours --dry-run, --prefix and --code', async () => {
    await parked.park(job('a/1.png'), 'model_unavailable');
    await parked.park(job('a/2.png'), 'timeout');
    const tsx = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
    const env = { ...process.env, ...testEnv(config.names) };
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [tsx, 'src/cli/replayPoison.ts', ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });

    const dry = run('--dry-run', '--prefix', 'a/');
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`Poisoned jobs (prefix "a/") -> ${config.names.jobsQueue} [dry run]`);
    expect(dry.stdout).toMatch(/recorded by recordPoison: 2 matched, would move 2\n\s+model_unavailable\s+1\n\s+timeout\s+1/);

    const real = run('--code', 'timeout', '--json');
    expect(real.status, real.stderr).toBe(0);
    expect(JSON.parse(real.stdout)).toMatchObject({
      recorded: { matched: 1, moved: 1 },
      unrecorded: { matched: 0, moved: 0 },
      dryRun: false,
    });
    expect((await jobsOnQueue()).map((j) => j.blob)).toEqual(['a/2.png']);
  });
});
