/**
 * The Operate surface on known files: 3 successes, 2 failures with known codes and one poisoned job go
 * through a local host on Azurite, messages are left in both queues, and then GET /api/metrics, the
 * emitMetrics timer, `npm run stats` and the ops page in a real headless Chromium must all report the
 * same true figures.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage } from '../../src/hostSettings.js';
import { startOpsServer, type RunningOpsServer } from '../../src/local/opsServer.js';
import { METRIC_EVENT, METRIC_NAMES } from '../../src/ops/metricLines.js';
import type { MetricsSnapshot } from '../../src/ops/snapshot.js';
import type { ResultRecord } from '../../src/contracts/resultRecord.js';
import { createOfflineProvider } from '../../src/providers/offlineProvider.js';
import type { VisionProvider } from '../../src/providers/types.js';
import { launchChromium } from '../support/browser.js';
import { waitForEmpty } from '../support/storage.js';
import { startTestHost, testEnv, type TestHost } from '../support/testHost.js';
import { fixture } from '../support/fixtures.js';

const ROOT = new URL('../..', import.meta.url).pathname;

/** The offline analysis, reported as a model call with known usage so tokens and cost are non-zero. */
function meteredProvider(): VisionProvider {
  const offline = createOfflineProvider();
  return {
    name: 'openai',
    analyze: async (request) => ({
      ...(await offline.analyze(request)),
      usage: { promptTokens: 100, completionTokens: 20, reasoningTokens: 8, promptTokensEstimated: 110 },
    }),
    close: () => offline.close(),
  };
}

const SUCCEEDED = ['a/photo.jpg', 'a/screenshot.png', 'b/chart.png'];
const FAILED = { 'docs/notes.png': 'unsupported_media_type', 'broken.jpg': 'corrupt_image' } as const;
const POISONED = 'lost/photo.webp';

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('operate: metrics, timer, stats and the ops page on known files', () => {
  let t: TestHost;
  let ops: RunningOpsServer;
  const logs: string[] = [];
  const records: ResultRecord[] = [];

  beforeAll(async () => {
    t = await startTestHost({
      provider: meteredProvider(),
      logs,
      env: { PRICE_INPUT_PER_MTOK: '10', PRICE_OUTPUT_PER_MTOK: '30', METRICS_SCHEDULE: '*/1 * * * * *' },
    });
    await t.upload(SUCCEEDED[0] ?? '', fixture('photo.jpg'));
    await t.upload(SUCCEEDED[1] ?? '', fixture('screenshot.png'));
    await t.upload(SUCCEEDED[2] ?? '', fixture('chart.png'));
    await t.upload('docs/notes.png', fixture('notes.txt'));
    await t.upload('broken.jpg', fixture('truncated.jpg'));
    // What the Functions host does after maxDequeueCount failed deliveries: the message text, as it was, on the poison queue.
    const job = { v: 1, container: t.config.names.inputContainer, blob: POISONED, etag: '"0x8DC0000000000"', contentLength: 1234 };
    await t.storage.queues.getQueueClient(t.config.names.poisonQueue).sendMessage(encodeMessage(JSON.stringify(job), 'base64'));
    for (const blob of [...SUCCEEDED, ...Object.keys(FAILED), POISONED]) records.push(await t.waitForRecord(blob, { timeoutMs: 60_000 }));
    // The host deletes each message after its record is written: once both queues are empty, the depths below are exact.
    for (const queue of [t.config.names.jobsQueue, t.config.names.poisonQueue]) {
      await waitForEmpty(t.storage.queues.getQueueClient(queue));
    }
    // Messages that stay queued (invisible, so no trigger takes them): known depths.
    const hidden = { visibilityTimeout: 600 };
    await t.storage.queues.getQueueClient(t.config.names.jobsQueue).sendMessage(encodeMessage('{"v":1}', 'base64'), hidden);
    await t.storage.queues.getQueueClient(t.config.names.jobsQueue).sendMessage(encodeMessage('{"v":1}', 'base64'), hidden);
    await t.storage.queues.getQueueClient(t.config.names.poisonQueue).sendMessage(encodeMessage('{"v":1}', 'base64'), hidden);
    ops = await startOpsServer({ host: t.host, config: t.config, storage: t.storage, logger: t.host.services.logger, port: 0 });
  }, 120_000);

  afterAll(async () => {
    await ops?.close();
    await t?.stop();
  });

  const getMetrics = async (): Promise<MetricsSnapshot> => {
    const response = await fetch(`${ops.url}/api/metrics`);
    expect(response.status).toBe(200);
    return (await response.json()) as MetricsSnapshot;
  };

  it('GET /api/metrics reports the true queue depths, counts by code, tokens and cost', async () => {
    expect(records.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'failed', 'failed', 'failed']);
    const metrics = await getMetrics();
    expect(metrics.queues.jobs).toEqual({ queue: t.config.names.jobsQueue, depth: 2, oldestAgeSeconds: null });
    expect(metrics.queues.poison).toEqual({ queue: t.config.names.poisonQueue, depth: 1, oldestAgeSeconds: null });
    expect(metrics.results).toMatchObject({
      windowSeconds: 3600,
      succeeded: 3,
      failed: 3,
      failedByCode: { unsupported_media_type: 1, corrupt_image: 1, poisoned: 1 },
      tokens: { used: 360, prompt: 300, promptEstimated: 330, completion: 60, reasoning: 24 },
      scan: { listed: 6, bodiesRead: 0, complete: true },
    });
    const sum = (pick: (r: ResultRecord) => number | null): number => records.reduce((total, r) => total + (pick(r) ?? 0), 0);
    expect(metrics.results.tokens.imageEstimated).toBe(sum((r) => r.usage.imageTokensEstimated));
    expect(metrics.results.tokens.imageEstimated).toBeGreaterThan(0);
    // 100 prompt tokens at $10/M and 20 completion tokens at $30/M per success.
    expect(metrics.results.estimatedCostUsd).toBeCloseTo(
      sum((r) => r.usage.estimatedCostUsd),
      9,
    );
    expect(metrics.results.estimatedCostUsd).toBeCloseTo(3 * 0.0016, 9);
    expect(metrics.limiter).toBeNull();
  });

  it('GET /api/health is 200 with storage reachable and no model endpoint to check', async () => {
    const response = await fetch(`${ops.url}/api/health`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      status: string;
      checks: Record<string, { ok: boolean; skipped?: string }>;
      reasons: string[];
    };
    expect(body.status).toBe('healthy');
    expect(body.checks['config']?.ok).toBe(true);
    expect(body.checks['storage']?.ok).toBe(true);
    expect(body.checks['model']?.skipped).toMatch(/offline/);
    expect(body.reasons).toEqual([]);
  });

  it('routes only the functions the app registers, with their methods', async () => {
    expect((await fetch(`${ops.url}/api/nothing-here`)).status).toBe(404);
    expect((await fetch(`${ops.url}/api/metrics`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${ops.url}/API/Health`)).status).toBe(200);
  });

  it('the emitMetrics timer logs every figure as a metric line with the alert names', async () => {
    type Line = { event: string; name: string; value: number; dimensions: Record<string, string>; snapshot: string };
    const lines = await until('metric lines of a snapshot taken after the queues were filled', async () => {
      const parsed = logs.map((line) => JSON.parse(line) as Line).filter((line) => line.event === METRIC_EVENT);
      // The timer may fire between the test's sends: take a snapshot that saw all three hidden messages.
      const poisonFilled = new Set(
        parsed.filter((line) => line.name === METRIC_NAMES.poisonDepth && line.value === 1).map((line) => line.snapshot),
      );
      const latest = parsed
        .filter((line) => line.name === METRIC_NAMES.jobsDepth && line.value === 2 && poisonFilled.has(line.snapshot))
        .at(-1)?.snapshot;
      const group = parsed.filter((line) => line.snapshot === latest);
      return latest !== undefined && group.some((line) => line.name === METRIC_NAMES.costUsd) ? group : undefined;
    });
    const value = (name: string, code?: string): number | undefined =>
      lines.find((line) => line.name === name && (code === undefined || line.dimensions['error_code'] === code))?.value;
    expect(value(METRIC_NAMES.poisonDepth)).toBe(1);
    expect(value(METRIC_NAMES.resultsSucceeded)).toBe(3);
    expect(value(METRIC_NAMES.resultsFailed, 'corrupt_image')).toBe(1);
    expect(value(METRIC_NAMES.resultsFailed, 'unsupported_media_type')).toBe(1);
    expect(value(METRIC_NAMES.resultsFailed, 'poisoned')).toBe(1);
    expect(value(METRIC_NAMES.tokensUsed)).toBe(360);
    // No visible message, so no age line rather than a made-up one.
    expect(value(METRIC_NAMES.oldestAgeSeconds)).toBeUndefined();
  });

  it('`npm run stats` prints the same figures', () => {
    const tsx = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
    const env = { ...process.env, ...testEnv(t.config.names) };
    const json = spawnSync(process.execPath, [tsx, 'src/cli/stats.ts', '--json'], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
    expect(json.status, json.stderr).toBe(0);
    const snapshot = JSON.parse(json.stdout) as MetricsSnapshot;
    expect(snapshot.queues.jobs.depth).toBe(2);
    expect(snapshot.results.failedByCode).toEqual({ unsupported_media_type: 1, corrupt_image: 1, poisoned: 1 });
    const text = spawnSync(process.execPath, [tsx, 'src/cli/stats.ts'], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`${t.config.names.jobsQueue}\\s+2\\s+-`));
    expect(text.stdout).toMatch(new RegExp(`${t.config.names.poisonQueue}\\s+1\\s+-`));
    expect(text.stdout).toMatch(/succeeded 3\n\s+failed\s+3\n/);
    expect(text.stdout).toMatch(/corrupt_image\s+1/);
    expect(text.stdout).toContain('tokens used 360 (prompt 300, completion 60 of which reasoning 24)');
    expect(text.stdout).toContain('prompt tokens billed 300 vs estimated 330 (-9.1 %)');
    expect(text.stdout).toContain('estimated cost $0.004800');
    // Its own snapshot, taken a moment later: the span may have grown.
    const [, rate, span] = /throughput ([\d.]+) results\/min over the last (\d+) s/.exec(text.stdout) ?? [];
    expect(Number(rate)).toBeCloseTo(6 / (Number(span) / 60), 1);
  });

  it('serves thumbnails of uploads only', async () => {
    const ok = await fetch(`${ops.url}/ops/thumbnail?blob=${encodeURIComponent('a/photo.jpg')}`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/jpeg');
    const meta = await sharp(Buffer.from(await ok.arrayBuffer())).metadata();
    expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBe(160);
    const escape = `../${t.config.names.resultsContainer}/a/photo.jpg.json`;
    expect((await fetch(`${ops.url}/ops/thumbnail?blob=${encodeURIComponent(escape)}`)).status).toBe(400);
    expect((await fetch(`${ops.url}/ops/thumbnail?blob=${encodeURIComponent('docs/notes.png')}`)).status).toBe(404);
  });

  describe('the ops page in headless Chromium', () => {
    let browser: Browser;
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'ops-page-'));
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('renders the figures it was given, the chart, the failures and the latest results with thumbnails', async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const failedRequests: string[] = [];
      page.on('requestfailed', (request) => failedRequests.push(request.url()));
      await page.goto(`${ops.url}/ops/`);
      // Two polls: the chart has a line, and the page keeps refreshing by itself.
      await expect
        .poll(async () => Number((await page.locator('body').getAttribute('data-updates')) ?? '0'), { timeout: 20_000 })
        .toBeGreaterThanOrEqual(2);
      const text = (selector: string): Promise<string> => page.locator(selector).innerText();
      expect(await text('#jobs-depth')).toBe('2');
      expect(await text('#poison-depth')).toBe('1');
      expect(await text('#succeeded')).toBe('3');
      expect(await text('#failed')).toBe('3');
      expect(await text('#tokens-used')).toBe('360');
      expect(await text('#cost')).toBe('$0.0048');
      // The hour's average beside the rate over the recent span the page names.
      expect(await text('#throughput-hour')).toBe('0.10');
      const span = Number(await page.locator('#throughput-window').getAttribute('data-seconds'));
      expect(span).toBeGreaterThanOrEqual(30);
      expect(Number(await text('#throughput'))).toBeCloseTo(6 / (span / 60), 0);
      expect(await text('#limiter')).toBe('none configured');
      expect(await text('#status')).toMatch(/^updated /);
      for (const [code, count] of Object.entries({ unsupported_media_type: 1, corrupt_image: 1, poisoned: 1 })) {
        expect(await text(`#failures tr[data-code="${code}"] td.count`)).toBe(String(count));
      }
      const jobsLine = await page.locator('#depth-chart polyline[data-series="jobs"]').getAttribute('points');
      expect(jobsLine?.trim().split(' ').length).toBeGreaterThanOrEqual(2);

      await expect.poll(() => page.locator('.result').count()).toBe(6);
      for (const blob of SUCCEEDED) {
        const thumb = page.locator(`.result[data-blob="${blob}"] img.thumb`);
        const loaded = (img: unknown): boolean => {
          const { complete, naturalWidth } = img as { complete: boolean; naturalWidth: number };
          return complete && naturalWidth > 0;
        };
        await expect.poll(() => thumb.evaluate(loaded)).toBe(true);
        expect(await page.locator(`.result[data-blob="${blob}"]`).getAttribute('data-status')).toBe('succeeded');
      }
      await expect.poll(() => page.locator('.result[data-blob="docs/notes.png"] .nothumb').count()).toBe(1);
      const json = await page.locator('.result[data-blob="broken.jpg"] pre').textContent();
      expect((JSON.parse(json ?? '{}') as ResultRecord).error?.code).toBe('corrupt_image');
      expect(await page.content()).not.toMatch(/AccountKey|SharedAccessSignature/);

      const file = join(dir, 'ops.png');
      await page.screenshot({ path: file, fullPage: true });
      const png = readFileSync(file);
      expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
      const { width, height } = await sharp(png).metadata();
      expect(width).toBe(1280);
      expect(height).toBeGreaterThanOrEqual(900);
      // Not blank: the dark header, cards, chart and thumbnails give the picture contrast and detail.
      const stats = await sharp(png).stats();
      expect(Math.min(...stats.channels.map((c) => c.stdev))).toBeGreaterThan(20);
      expect(stats.entropy).toBeGreaterThan(1);
      expect(png.length).toBeGreaterThan(30_000);
      expect(failedRequests.filter((url) => !url.includes('/ops/thumbnail'))).toEqual([]);
      await page.close();
    });
  });
});
