/**
 * The job's time budget covers all of its work: a job whose offline OCR would take half a minute ends at
 * its budget as a retryable timeout, long before the OCR would have finished.
 */
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransientError } from '../../src/errors.js';
import { PROFILE_METADATA_KEY } from '../../src/names.js';
import { serializeJobMessage } from '../../src/contracts/jobMessage.js';
import { processJob } from '../../src/pipeline/processJob.js';
import type { JobServices } from '../../src/pipeline/jobServices.js';
import { offlineServices } from '../support/services.js';

/** jobTimeoutFor(2 s): 80 % of it, 1.6 s. */
const FUNCTION_TIMEOUT_MS = 2_000;

describe('the job time budget', () => {
  let services: JobServices;
  beforeAll(async () => {
    services = await offlineServices({ functionTimeoutMs: FUNCTION_TIMEOUT_MS });
  });
  afterAll(() => services.provider.close());

  it('ends a job at its budget while OCR is still reading, as a retryable timeout', async () => {
    const [width, height] = [1600, 1200];
    // Random noise read in full as a receipt: ~40 s of OCR on two cores.
    const noise = await sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
      .jpeg()
      .toBuffer();
    const blob = 'budget/noise.jpg';
    const { etag } = await services.input.getBlockBlobClient(blob).uploadData(noise, { metadata: { [PROFILE_METADATA_KEY]: 'receipt' } });
    const job = {
      v: 1 as const,
      container: services.config.names.inputContainer,
      blob,
      etag: etag ?? '',
      contentLength: noise.length,
      profile: 'receipt',
    };
    const started = performance.now();
    const error: unknown = await processJob(services, JSON.parse(serializeJobMessage(job)) as unknown, { dequeueCount: 1 }).catch(
      (thrown: unknown) => thrown,
    );
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'timeout', details: { timeoutMs: services.jobTimeoutMs } });
    expect(services.jobTimeoutMs).toBe(1_600);
    expect(elapsed).toBeGreaterThanOrEqual(services.jobTimeoutMs - 100);
    expect(elapsed).toBeLessThan(services.jobTimeoutMs + 3_000);
  });
});
