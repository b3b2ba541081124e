/**
 * Delivery is at least once: duplicates and races must leave one final record, the newest content's,
 * and a success after a replay replaces the failure. Identical bytes reuse the stored analysis. All
 * through the local host and the openai provider, counting the requests the model server receives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayPoisoned } from '../../src/ops/replayPoisoned.js';
import { PoisonedJobs } from '../../src/storage/poisonedJobs.js';
import { resultPath } from '../../src/contracts/blobPaths.js';
import {
  deploymentEnv,
  schemaAnswer,
  startOpenAiCompatibleServer,
  type OpenAiCompatibleServer,
} from '../support/openaiCompatibleServer.js';
import { blobNames, directOpenAiProvider, events, jobOf, sendJob } from '../support/jobs.js';
import { waitFor } from '../support/storage.js';
import { startTestHost, type TestHost } from '../support/testHost.js';
import { fixture } from '../support/fixtures.js';

const azureEnv = (server: OpenAiCompatibleServer, cache: 'on' | 'off'): Record<string, string> => ({
  ...deploymentEnv(server.url),
  MODEL_TIMEOUT_MS: '10000',
  RESULT_CACHE: cache,
});

/** How many requests the model server received while `run` ran. */
async function callsDuring<T>(server: OpenAiCompatibleServer, run: () => Promise<T>): Promise<[T, number]> {
  const before = server.requests.length;
  const value = await run();
  return [value, server.requests.length - before];
}

const FINISHED = ['job.succeeded', 'job.failed', 'job.skipped'];
const finishedFor = (logs: string[], blob: string) =>
  FINISHED.flatMap((event) => events(logs, event)).filter((entry) => entry['blob'] === blob);

describe('duplicates, races and replays', () => {
  let server: OpenAiCompatibleServer;
  let t: TestHost;
  const logs: string[] = [];
  beforeAll(async () => {
    server = await startOpenAiCompatibleServer();
    t = await startTestHost({
      env: azureEnv(server, 'off'),
      provider: directOpenAiProvider(azureEnv(server, 'off')),
      host: { maxDequeueCount: 2 },
      logs,
    });
  });
  afterAll(async () => {
    await t.stop();
    await server.close();
  });

  it('the same job delivered three times at once leaves one record and asks the model once: the first copy claims it', async () => {
    // Slow answers, so that the three copies are in flight together.
    server.setHandler(() => ({ delayMs: 500, then: {} }));
    try {
      const photo = fixture('photo.jpg');
      const [, calls] = await callsDuring(server, async () => {
        const etag = await t.upload('dup/photo.jpg', photo);
        // Its BlobCreated event enqueues one; these are the duplicates a retried enqueue or a second host would add.
        await Promise.all([
          sendJob(t, jobOf(t, 'dup/photo.jpg', etag, photo.length)),
          sendJob(t, jobOf(t, 'dup/photo.jpg', etag, photo.length)),
        ]);
        await waitFor('all three copies to finish', () => finishedFor(logs, 'dup/photo.jpg').length === 3, 20_000);
      });
      const finished = finishedFor(logs, 'dup/photo.jpg');
      expect(finished.filter((entry) => entry['record'] === 'written')).toHaveLength(1);
      expect(finished.every((entry) => entry.event !== 'job.failed' && entry['record'] !== 'replaced')).toBe(true);
      expect(calls).toBe(1);
      const skipped = finished.filter((entry) => entry.event === 'job.skipped').map((entry) => entry['reason']);
      expect(skipped).toHaveLength(2);
      expect(skipped.every((reason) => reason === 'another delivery is working on it' || reason === 'already succeeded')).toBe(true);
      expect(await blobNames(t.storage.blobs.getContainerClient(t.config.names.resultsContainer), 'dup/')).toEqual(['dup/photo.jpg.json']);
      const record = await t.waitForRecord('dup/photo.jpg');
      expect(record).toMatchObject({ status: 'succeeded', attempt: 1 });
      console.log(
        `duplicate delivery: 3 copies -> 1 record, ${calls} model call(s), outcomes ${finished.map((e) => e['record'] ?? e.event).join(', ')}`,
      );
    } finally {
      server.setHandler(schemaAnswer);
    }
  });

  it('never lets the record of an older version replace the newer one, even when the older job finishes last', async () => {
    server.reply({ delayMs: 3_000, then: {} });
    const calls = server.requests.length;
    const first = await t.upload('race/doc.png', fixture('photo.jpg'));
    await waitFor('the first version to reach the model', () => server.requests.length > calls);
    const second = await t.upload('race/doc.png', fixture('screenshot.png'));
    const newer = await t.waitForRecord('race/doc.png', { etag: second });
    expect(newer.source.mime).toBe('image/png');
    const older = await waitFor('the older job to finish', () =>
      events(logs, 'job.succeeded').find((entry) => entry['blob'] === 'race/doc.png' && entry['etag'] === first),
    );
    expect(older['record']).toBe('kept-existing');
    const record = await t.waitForRecord('race/doc.png');
    expect(record.source).toMatchObject({ etag: second, mime: 'image/png' });
  });

  it('replaces the failure record of a poisoned job with the success of its replay', async () => {
    server.setHandler(() => ({ status: 503, body: { error: { message: 'overloaded' } } }));
    const etag = await t.upload('replay/photo.jpg', fixture('photo.jpg'));
    try {
      const failed = await t.waitForRecord('replay/photo.jpg');
      expect(failed.error).toMatchObject({ code: 'model_unavailable', retryable: true, details: { attempts: 2 } });
    } finally {
      server.setHandler(schemaAnswer);
    }
    const report = await replayPoisoned(
      { storage: t.storage, names: t.config.names, encoding: 'base64' },
      { prefix: 'replay/', code: 'model_unavailable' },
    );
    expect(report.recorded).toEqual({ matched: 1, moved: 1, byCode: { model_unavailable: 1 } });
    const record = await waitFor('the replayed job to succeed', async () => {
      const current = await t.results.read(resultPath('replay/photo.jpg'));
      return current?.status === 'succeeded' ? current : undefined;
    });
    expect(record.source.etag).toBe(etag);
    // The worker logs its outcome after the write that made the record visible.
    const replaced = await waitFor('the outcome of the replay', () =>
      events(logs, 'job.succeeded').find((entry) => entry['blob'] === 'replay/photo.jpg'),
    );
    expect(replaced['record']).toBe('replaced');
    const parked = [];
    for await (const entry of new PoisonedJobs(t.storage.blobs.getContainerClient(t.config.names.stateContainer)).list('replay/'))
      parked.push(entry);
    expect(parked).toEqual([]);
  });
});

describe('the content-hash cache', () => {
  let server: OpenAiCompatibleServer;
  let t: TestHost;
  beforeAll(async () => {
    server = await startOpenAiCompatibleServer();
    t = await startTestHost({ env: azureEnv(server, 'on'), provider: directOpenAiProvider(azureEnv(server, 'on')) });
  });
  afterAll(async () => {
    await t.stop();
    await server.close();
  });

  it('answers identical bytes under another name from the stored analysis, without a model call', async () => {
    const photo = fixture('photo.jpg');
    const [original, first] = await callsDuring(server, async () => {
      await t.upload('cache/original.jpg', photo);
      return t.waitForRecord('cache/original.jpg');
    });
    expect(first).toBe(1);
    expect(original.cached).toBeUndefined();

    const [copy, second] = await callsDuring(server, async () => {
      const etag = await t.upload('cache/elsewhere/copy.jpg', photo);
      return t.waitForRecord('cache/elsewhere/copy.jpg', { etag });
    });
    expect(second).toBe(0);
    expect(copy).toMatchObject({
      status: 'succeeded',
      cached: true,
      profile: original.profile,
      provider: original.provider,
      detail: original.detail,
      data: original.data,
      usage: { promptTokens: 0, completionTokens: 0, imageTokensEstimated: 0, estimatedCostUsd: 0 },
    });
    expect(copy.source).toMatchObject({
      blob: 'cache/elsewhere/copy.jpg',
      sha256: original.source.sha256,
      mime: 'image/jpeg',
      width: original.source.width,
    });
    expect(copy.timings.modelMs).toBeNull();
  });

  it('asks again for another profile, and for new content under the same name', async () => {
    const photo = fixture('photo.jpg');
    const [asChart, chartCalls] = await callsDuring(server, async () => {
      await t.upload('cache/as-chart.jpg', photo, { profile: 'chart' });
      return t.waitForRecord('cache/as-chart.jpg');
    });
    expect(chartCalls).toBe(1);
    expect(asChart.cached).toBeUndefined();

    const [overwritten, overwriteCalls] = await callsDuring(server, async () => {
      const etag = await t.upload('cache/original.jpg', fixture('screenshot.png'));
      return t.waitForRecord('cache/original.jpg', { etag });
    });
    expect(overwriteCalls).toBe(1);
    expect(overwritten.cached).toBeUndefined();
    expect(overwritten.source.mime).toBe('image/png');
  });
});

describe('RESULT_CACHE=off', () => {
  let server: OpenAiCompatibleServer;
  let t: TestHost;
  beforeAll(async () => {
    server = await startOpenAiCompatibleServer();
    t = await startTestHost({ env: azureEnv(server, 'off'), provider: directOpenAiProvider(azureEnv(server, 'off')) });
  });
  afterAll(async () => {
    await t.stop();
    await server.close();
  });

  it('asks the model for every upload, identical bytes included', async () => {
    const photo = fixture('photo.jpg');
    const [records, calls] = await callsDuring(server, async () => {
      await t.upload('nocache/a.jpg', photo);
      const a = await t.waitForRecord('nocache/a.jpg');
      await t.upload('nocache/b.jpg', photo);
      return [a, await t.waitForRecord('nocache/b.jpg')];
    });
    expect(calls).toBe(2);
    expect(records.map((record) => record.cached)).toEqual([undefined, undefined]);
  });
});
