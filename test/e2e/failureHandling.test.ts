/**
 * Failure kinds end to end, through the local host and the openai provider (without the rate limiter in
 * front of it, so that a 429 reaches the pipeline at once) against the OpenAI-compatible test server:
 * content filters are permanent records with their categories; rate limits defer the job
 * (never poisoning it) until the cap, which is recorded; a job running longer than its lease is not
 * started a second time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PoisonedJobs } from '../../src/storage/poisonedJobs.js';
import {
  deploymentEnv,
  promptFiltered,
  schemaAnswer,
  startOpenAiCompatibleServer,
  type OpenAiCompatibleServer,
} from '../support/openaiCompatibleServer.js';
import { directOpenAiProvider, events } from '../support/jobs.js';
import { messageCount, waitFor } from '../support/storage.js';
import { startTestHost, type TestHost } from '../support/testHost.js';
import { fixture } from '../support/fixtures.js';

const azureEnv = (server: OpenAiCompatibleServer, extra: Record<string, string> = {}): Record<string, string> => ({
  ...deploymentEnv(server.url),
  MODEL_TIMEOUT_MS: '5000',
  // Each test scripts the model's answer to the same fixture: every upload must ask.
  RESULT_CACHE: 'off',
  ...extra,
});

const jailbreakAndViolence = promptFiltered({
  hate: { filtered: false, severity: 'safe' },
  jailbreak: { filtered: true, detected: true },
  violence: { filtered: true, severity: 'high' },
});

const tooManyRequests = (retryAfterSeconds: number) => ({
  status: 429,
  headers: { 'retry-after': String(retryAfterSeconds) },
  body: { error: { code: '429', message: 'Requests to the ChatCompletions_Create Operation have exceeded the rate limit.' } },
});

describe('failure kinds end to end', () => {
  let server: OpenAiCompatibleServer;
  let t: TestHost;
  const logs: string[] = [];
  beforeAll(async () => {
    server = await startOpenAiCompatibleServer();
    const env = azureEnv(server, { MAX_RATE_LIMIT_DEFERRALS: '2' });
    t = await startTestHost({ env, provider: directOpenAiProvider(env), host: { maxDequeueCount: 3 }, logs });
  });
  afterAll(async () => {
    await t.stop();
    await server.close();
  });

  const requestsDuring = async <T>(run: () => Promise<T>): Promise<[T, number]> => {
    const before = server.requests.length;
    const value = await run();
    return [value, server.requests.length - before];
  };

  it('records a prompt refused by the content filter as content_filtered with its categories, at once', async () => {
    server.reply(jailbreakAndViolence);
    const [record, calls] = await requestsDuring(async () => {
      await t.upload('filtered/prompt.jpg', fixture('photo.jpg'));
      return t.waitForRecord('filtered/prompt.jpg');
    });
    expect(record.status).toBe('failed');
    expect(record.error).toMatchObject({
      code: 'content_filtered',
      retryable: false,
      details: { categories: ['jailbreak', 'violence'], stage: 'prompt' },
    });
    expect(record.attempt).toBe(1);
    expect(calls).toBe(1);
  });

  it('records an answer withheld by the content filter as content_filtered with its categories', async () => {
    server.reply({ finishReason: 'content_filter' });
    await t.upload('filtered/answer.jpg', fixture('photo.jpg'));
    const record = await t.waitForRecord('filtered/answer.jpg');
    expect(record.error).toMatchObject({
      code: 'content_filtered',
      retryable: false,
      details: { categories: ['violence'], stage: 'completion' },
    });
  });

  it('defers a rate-limited job instead of failing it, and the next delivery succeeds', async () => {
    server.reply(tooManyRequests(1), tooManyRequests(1));
    const [record, calls] = await requestsDuring(async () => {
      await t.upload('quota/recovers.jpg', fixture('photo.jpg'));
      return t.waitForRecord('quota/recovers.jpg', { timeoutMs: 30_000 });
    });
    expect(record.status).toBe('succeeded');
    expect(calls).toBe(3);
    const deferred = events(logs, 'job.deferred').filter((entry) => entry['blob'] === 'quota/recovers.jpg');
    expect(deferred.map((entry) => entry['deferrals'])).toEqual([1, 2]);
    for (const entry of deferred) {
      expect(entry['retryAfterMs']).toBe(1000);
      // Never sooner than 2 s, at most 20% over it.
      expect(entry['delaySeconds']).toBeGreaterThanOrEqual(2);
      expect(entry['delaySeconds']).toBeLessThanOrEqual(3);
    }
    // Each deferral is a new message with a first delivery: no dequeue count was spent.
    expect(record.attempt).toBe(1);
  });

  it('records rate_limited once the deferral cap is reached, parks the job for replay, and never poisons it', async () => {
    server.setHandler(() => tooManyRequests(1));
    try {
      await t.upload('quota/storm.jpg', fixture('photo.jpg'));
      const record = await t.waitForRecord('quota/storm.jpg', { timeoutMs: 30_000 });
      expect(record.status).toBe('failed');
      expect(record.error).toMatchObject({ code: 'rate_limited', retryable: true, details: { deferrals: 2, capReached: true } });
      expect(record.error?.message).toContain('put back on the queue 2 times, the most MAX_RATE_LIMIT_DEFERRALS allows');
      expect(record.attempt).toBe(1);
      expect(events(logs, 'host.message_poisoned')).toEqual([]);
      expect(await messageCount(t.storage.queues.getQueueClient(t.config.names.poisonQueue))).toBe(0);
      const parked = new PoisonedJobs(t.storage.blobs.getContainerClient(t.config.names.stateContainer));
      const entries = [];
      for await (const entry of parked.list('quota/')) entries.push(entry);
      expect(entries).toMatchObject([{ blob: 'quota/storm.jpg', code: 'rate_limited' }]);
    } finally {
      server.setHandler(schemaAnswer);
    }
  });
});

describe('a rate limit with a wait longer than the SDK may sleep', () => {
  let server: OpenAiCompatibleServer;
  let t: TestHost;
  const logs: string[] = [];
  beforeAll(async () => {
    server = await startOpenAiCompatibleServer();
    t = await startTestHost({ env: azureEnv(server), provider: directOpenAiProvider(azureEnv(server)), logs });
  });
  afterAll(async () => {
    await t.stop();
    await server.close();
  });

  it('defers for the wait the service asks when it is longer than the SDK may sleep (no retry in the function)', async () => {
    const before = server.requests.length;
    server.reply(tooManyRequests(20));
    await t.upload('quota/long-wait.jpg', fixture('photo.jpg'));
    const deferred = await waitFor('the deferral', () =>
      events(logs, 'job.deferred').find((entry) => entry['blob'] === 'quota/long-wait.jpg'),
    );
    expect(deferred['retryAfterMs']).toBe(20_000);
    expect(deferred['delaySeconds']).toBeGreaterThanOrEqual(20);
    expect(deferred['delaySeconds']).toBeLessThanOrEqual(24);
    expect(server.requests.length - before).toBe(1);
    // The job waits, invisible, on the job queue (once the host has completed the delivered message); nothing was recorded for it.
    await waitFor(
      'the deferred job alone on the queue',
      async () => (await messageCount(t.storage.queues.getQueueClient(t.config.names.jobsQueue))) === 1,
    );
    expect(await t.results.read('quota/long-wait.jpg.json')).toBeUndefined();
  });
});

describe('a job that runs longer than its message lease', () => {
  let server: OpenAiCompatibleServer;
  let t: TestHost;
  beforeAll(async () => {
    server = await startOpenAiCompatibleServer();
    // A 2 s lease, renewed every second while the handler runs; the model takes 5 s.
    const env = azureEnv(server, { MODEL_TIMEOUT_MS: '10000' });
    t = await startTestHost({ env, provider: directOpenAiProvider(env), leaseMs: 2_000 });
  });
  afterAll(async () => {
    await t.stop();
    await server.close();
  });

  it('keeps its message invisible, so it is neither started twice nor counted as a second attempt', async () => {
    server.reply({ delayMs: 5_000 });
    await t.upload('slow/photo.jpg', fixture('photo.jpg'));
    const record = await t.waitForRecord('slow/photo.jpg', { timeoutMs: 20_000 });
    expect(record.status).toBe('succeeded');
    expect(record.attempt).toBe(1);
    expect(record.timings.modelMs).toBeGreaterThanOrEqual(4_900);
    expect(server.requests).toHaveLength(1);
  });
});
