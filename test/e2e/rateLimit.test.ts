/**
 * The worker end to end at its model quota: thirty uploads through the local host (BlobCreated events, jobs
 * queue with host.json's batch semantics) against the load simulator with a small TPM. Every file gets
 * its result, none is poisoned, the quota holds, and the metrics snapshot and `npm run stats` show the
 * limiter's state.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectMetrics } from '../../src/ops/snapshot.js';
import { startLoadSimulator, type LoadSimulator } from '../support/loadSimulator.js';
import { messageCount } from '../support/storage.js';
import { startTestHost, testEnv, type TestHost } from '../support/testHost.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const FILES = 30;
const WINDOW_SECONDS = 1;
/** A describe request (low detail) is charged about 930 tokens: five fit a window. */
const TOKENS_PER_MINUTE = 5 * 930 * (60 / WINDOW_SECONDS);

describe('worker end to end at the model quota', () => {
  let sim: LoadSimulator;
  let t: TestHost;
  let stopped = false;
  beforeAll(async () => {
    sim = await startLoadSimulator({
      tokensPerMinute: TOKENS_PER_MINUTE,
      windowMs: WINDOW_SECONDS * 1000,
      latency: { baseMs: 150, perOutputTokenMs: 1, jitter: 0.3 },
    });
    t = await startTestHost({
      env: {
        AZURE_OPENAI_ENDPOINT: sim.url,
        AZURE_OPENAI_API_KEY: 'test-key',
        AZURE_OPENAI_DEPLOYMENT: 'gpt-4o',
        MODEL_TPM: String(TOKENS_PER_MINUTE),
        MODEL_RATE_WINDOW_SECONDS: String(WINDOW_SECONDS),
        MODEL_TIMEOUT_MS: '10000',
      },
    });
  });
  afterAll(async () => {
    if (!stopped) await t.stop();
    await sim.close();
  });

  it(`analyses ${FILES} files queued at once within the quota, with no failure and nothing poisoned`, async () => {
    // Distinct bytes, so that no file can reuse another's analysis.
    const names = await Promise.all(
      Array.from({ length: FILES }, async (_, i) => {
        const bytes = await sharp({
          create: { width: 96, height: 64, channels: 3, background: { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 53) % 256 } },
        })
          .jpeg()
          .toBuffer();
        const name = `burst/photo-${String(i).padStart(2, '0')}.jpg`;
        await t.upload(name, bytes);
        return name;
      }),
    );
    const records = await Promise.all(names.map((name) => t.waitForRecord(name, { timeoutMs: 45_000 })));

    expect(
      records.filter((record) => record.status !== 'succeeded').map((record) => `${record.source.blob}: ${record.error?.code}`),
    ).toEqual([]);
    expect(await messageCount(t.storage.queues.getQueueClient(t.config.names.poisonQueue))).toBe(0);
    const counters = sim.counters();
    expect(counters.succeeded).toBe(FILES);
    // The simulator shares this process's event loop: a busy moment can hold a request's arrival past the
    // limiter's margin. Its 429 is waited out and makes the limiter keep charges longer; a quiet run has none.
    expect(counters.rateLimited).toBeLessThanOrEqual(3);
    // The window admits five at a time: thirty files take at least five windows after the first.
    const times = sim.admissions.map((a) => a.at);
    expect((times.at(-1) ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(5 * WINDOW_SECONDS * 1000);

    // Stopping the host closes the limiter, which reports its final state.
    await t.stop();
    stopped = true;
    const snapshot = await collectMetrics({ storage: t.storage, names: t.config.names });
    const [limiter] = snapshot.limiter?.instances ?? [];
    expect(limiter?.tokens).toMatchObject({ source: 'configured', perMinute: TOKENS_PER_MINUTE });
    expect(limiter).toMatchObject({
      admitted: FILES + counters.rateLimited,
      rateLimited: counters.rateLimited,
      inFlight: 0,
      waiting: 0,
      waitTimeouts: 0,
    });

    const stats = spawnSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'src/cli/stats.ts'], {
      cwd: ROOT,
      env: { ...process.env, ...testEnv(t.config.names) },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(stats.status, stats.stderr).toBe(0);
    const perWindow = Math.floor((TOKENS_PER_MINUTE * WINDOW_SECONDS) / 60);
    expect(stats.stdout).toMatch(new RegExp(`tokens +\\d+\\+\\d+ of ${perWindow} per 1 s \\(${TOKENS_PER_MINUTE}/min configured`));
    expect(stats.stdout).toContain(`admitted ${FILES + counters.rateLimited}, 429s ${counters.rateLimited}, wait timeouts 0`);
  });
});
