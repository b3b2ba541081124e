/**
 * An upload overwritten between its enqueue and its analysis: the content analysed is the new one, so
 * its profile comes from the new content's metadata, not from the message written for the old upload.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { PROFILE_METADATA_KEY } from '../../src/names.js';
import { serializeJobMessage } from '../../src/contracts/jobMessage.js';
import { processJob } from '../../src/pipeline/processJob.js';
import type { JobServices } from '../../src/pipeline/jobServices.js';
import { resultPath } from '../../src/contracts/blobPaths.js';
import { fixture } from '../support/fixtures.js';
import { offlineServices } from '../support/services.js';

describe('the profile of the content analysed', () => {
  let services: JobServices;
  beforeAll(async () => {
    services = await offlineServices();
  });

  /** Uploads `first`, takes the job written for it, overwrites it with `second`, then runs that job. */
  async function overwrittenBeforeAnalysis(blob: string, firstProfile: string, second: Record<string, string>) {
    const client = services.input.getBlockBlobClient(blob);
    const bytes = fixture('chart.png');
    const { etag } = await client.uploadData(bytes, { metadata: { [PROFILE_METADATA_KEY]: firstProfile } });
    const job = {
      v: 1 as const,
      container: services.config.names.inputContainer,
      blob,
      etag: etag ?? '',
      contentLength: bytes.length,
      profile: firstProfile,
    };
    const overwritten = await client.uploadData(bytes, { metadata: second });
    await processJob(services, JSON.parse(serializeJobMessage(job)) as unknown, { dequeueCount: 1 });
    const record = await services.results.read(resultPath(blob));
    return { record, etag: overwritten.etag };
  }

  it("takes the new content's profile metadata over the message's", async () => {
    const { record, etag } = await overwrittenBeforeAnalysis('p/first.png', 'receipt', { [PROFILE_METADATA_KEY]: 'chart' });
    expect(record?.status).toBe('succeeded');
    expect(record?.profile).toBe('chart');
    expect(record?.source.etag).toBe(etag);
    expect(record?.warnings.join('\n')).toContain('the blob changed after it was enqueued');
  });

  it("drops the message's profile when the new content names none: the path rules or the default decide", async () => {
    const { record } = await overwrittenBeforeAnalysis('p/second.png', 'receipt', {});
    expect(record?.status).toBe('succeeded');
    expect(record?.profile).toBe(services.config.profiles.defaultProfile);
  });
});
