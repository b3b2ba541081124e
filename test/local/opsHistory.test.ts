/**
 * The ops server's recent past over HTTP: a client that has never polled gets the queue depths the host
 * sampled (bounded), /api/metrics carries the recent throughput beside the hour's counts, and a freshly
 * opened page in headless Chromium draws those samples on its first update.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage } from '../../src/hostSettings.js';
import { startOpsServer, type RunningOpsServer } from '../../src/local/opsServer.js';
import type { DepthSample } from '../../src/ops/depthHistory.js';
import type { MetricsSnapshot } from '../../src/ops/snapshot.js';
import { launchChromium } from '../support/browser.js';
import { fixture } from '../support/fixtures.js';
import { waitFor, waitForEmpty } from '../support/storage.js';
import { startTestHost, type TestHost } from '../support/testHost.js';

const CAPACITY = 5;
const INTERVAL_MS = 200;

interface History {
  intervalSeconds: number;
  capacity: number;
  samples: DepthSample[];
}

const getJson = async <T>(url: string): Promise<T> => {
  const response = await fetch(url);
  expect(response.status, url).toBe(200);
  return (await response.json()) as T;
};

describe('the ops server keeps the recent past', () => {
  let t: TestHost;
  let ops: RunningOpsServer;

  beforeAll(async () => {
    t = await startTestHost();
    const uploads = { 'h/photo.jpg': 'photo.jpg', 'h/screenshot.png': 'screenshot.png', 'h/chart.png': 'chart.png' };
    for (const [name, file] of Object.entries(uploads)) await t.upload(name, fixture(file));
    for (const name of Object.keys(uploads)) await t.waitForRecord(name);
    await waitForEmpty(t.storage.queues.getQueueClient(t.config.names.jobsQueue));
    // Invisible, so no trigger takes them: known depths for the sampler to see.
    const hidden = { visibilityTimeout: 600 };
    const message = encodeMessage('{"v":1}', 'base64');
    await t.storage.queues.getQueueClient(t.config.names.jobsQueue).sendMessage(message, hidden);
    await t.storage.queues.getQueueClient(t.config.names.jobsQueue).sendMessage(message, hidden);
    await t.storage.queues.getQueueClient(t.config.names.poisonQueue).sendMessage(message, hidden);
    ops = await startOpsServer({
      host: t.host,
      config: t.config,
      storage: t.storage,
      logger: t.host.services.logger,
      port: 0,
      depthSampling: { intervalMs: INTERVAL_MS, capacity: CAPACITY },
    });
  }, 120_000);

  afterAll(async () => {
    await ops?.close();
    await t?.stop();
  });

  it('a client that never polled gets the last samples, oldest first, bounded', async () => {
    // Enough time for more samples than are kept.
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * (CAPACITY + 3)));
    const history = await getJson<History>(`${ops.url}/ops/history`);
    expect(history.intervalSeconds).toBe(INTERVAL_MS / 1000);
    expect(history.capacity).toBe(CAPACITY);
    expect(history.samples).toHaveLength(CAPACITY);
    for (const sample of history.samples) expect(sample).toMatchObject({ jobs: 2, poison: 1 });
    const times = history.samples.map((sample) => Date.parse(sample.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times.at(-1)).toBeGreaterThan(Date.now() - 10_000);
  });

  it('GET /api/metrics reports the recent throughput beside the hour counts', async () => {
    const metrics = await getJson<MetricsSnapshot>(`${ops.url}/api/metrics`);
    expect(metrics.results).toMatchObject({ windowSeconds: 3600, succeeded: 3, failed: 0 });
    const { throughput } = metrics.results;
    expect(throughput.results).toBe(3);
    expect(throughput.windowSeconds).toBeGreaterThanOrEqual(30);
    expect(throughput.windowSeconds).toBeLessThanOrEqual(300);
    expect(throughput.perMinute).toBeCloseTo(3 / (throughput.windowSeconds / 60), 2);
  });

  it('a freshly opened page draws the kept samples on its first update, and labels the throughput', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${ops.url}/ops/`);
      await waitFor('the first update', async () => (await page.locator('body').getAttribute('data-updates')) !== null);
      const points = (await page.locator('#depth-chart polyline[data-series="jobs"]').getAttribute('points')) ?? '';
      // The host's samples and the page's own first one.
      expect(points.trim().split(' ').length).toBeGreaterThanOrEqual(CAPACITY + 1);
      expect(await page.locator('#chart-range').innerText()).toMatch(/^\d+ samples over the last \d+ (s|min)$/);
      const seconds = Number(await page.locator('#throughput-window').getAttribute('data-seconds'));
      expect(seconds).toBeGreaterThanOrEqual(30);
      // Shown to one decimal, of a figure already rounded to two.
      expect(Math.abs(Number(await page.locator('#throughput').innerText()) - 3 / (seconds / 60))).toBeLessThanOrEqual(0.06);
      expect(await page.locator('#throughput-hour').innerText()).toBe('0.05');
    } finally {
      await browser.close();
    }
  });
});
