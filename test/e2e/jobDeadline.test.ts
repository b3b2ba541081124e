/**
 * A job that runs out of time: its model call is cancelled before the host's functionTimeout, so the
 * job ends as a transient `timeout` of its own (retried, then recorded) rather than being cut off by
 * the host, which on Azure restarts the worker process with every other job in it.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobTimeoutFor } from '../../src/pipeline/jobServices.js';
import { deploymentEnv, startOpenAiCompatibleServer, type OpenAiCompatibleServer } from '../support/openaiCompatibleServer.js';
import { startTestHost, type TestHost } from '../support/testHost.js';

const FUNCTION_TIMEOUT_MS = 6_000;

describe('the job time budget', () => {
  let server: OpenAiCompatibleServer;
  let t: TestHost;
  const logs: string[] = [];
  beforeAll(async () => {
    server = await startOpenAiCompatibleServer();
    server.setHandler(() => ({ hang: 'headers' }));
    t = await startTestHost({
      env: {
        ...deploymentEnv(server.url),
        // Far longer than the function may run: only the job's own budget can end the call in time.
        MODEL_TIMEOUT_MS: '60000',
      },
      functionTimeoutMs: FUNCTION_TIMEOUT_MS,
      host: { maxDequeueCount: 1 },
      logs,
    });
  });
  afterAll(async () => {
    await t.stop();
    await server.close();
  });

  it('leaves 30 s of the function timeout for the record, or a fifth of a short one', () => {
    expect(jobTimeoutFor(600_000)).toBe(570_000);
    expect(jobTimeoutFor(FUNCTION_TIMEOUT_MS)).toBe(4_800);
  });

  it('cancels a model call that would outlast the function timeout, and records a timeout', async () => {
    await t.upload('slow.jpg', readFileSync(new URL('../fixtures/photo.jpg', import.meta.url)));
    const record = await t.waitForRecord('slow.jpg');

    expect(record.status).toBe('failed');
    expect(record.error?.code).toBe('timeout');
    expect(record.error?.message).toMatch(/time budget ran out before the model answered/);
    expect(server.requests.length).toBeGreaterThan(0);
    expect(logs.join('\n')).not.toMatch(/exceeded functionTimeout/);
  });
});
