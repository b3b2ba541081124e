/**
 * Names the storage service would refuse, and work the hosts leave where nothing else reads it, through
 * the local host: each ends with exactly one record, and nothing stays in `-poison` or `-poison-poison`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage, hostSettings } from '../../src/hostSettings.js';
import { poisonQueueName } from '../../src/names.js';
import { collectMetrics } from '../../src/ops/snapshot.js';
import { MAX_UPLOAD_NAME_CHARS, MAX_UPLOAD_NAME_SEGMENTS } from '../../src/contracts/blobNameRules.js';
import { serializeJobMessage } from '../../src/contracts/jobMessage.js';
import type { ResultRecord } from '../../src/contracts/resultRecord.js';
import { INVALID_MESSAGES_PREFIX, resultPath } from '../../src/contracts/blobPaths.js';
import { fixture } from '../support/fixtures.js';
import { blobNames, events, jobOf, sendText } from '../support/jobs.js';
import { messageCount, waitFor, waitForEmpty } from '../support/storage.js';
import { startTestHost, type TestHost } from '../support/testHost.js';

let t: TestHost;
const logs: string[] = [];

beforeAll(async () => {
  // A sweep every second, instead of every five minutes.
  t = await startTestHost({ logs, env: { STRANDED_SWEEP_SCHEDULE: '*/1 * * * * *' } });
});

afterAll(async () => {
  await t.stop();
});

const queue = (name: string) => t.storage.queues.getQueueClient(name);

/** The records under `_invalid-messages/` whose excerpt contains `text`, once there is at least one. */
async function invalidRecordsWith(text: string): Promise<ResultRecord[]> {
  const results = t.storage.blobs.getContainerClient(t.config.names.resultsContainer);
  return waitFor(
    `an invalid record with ${JSON.stringify(text)}`,
    async () => {
      const found: ResultRecord[] = [];
      for (const name of await blobNames(results, INVALID_MESSAGES_PREFIX)) {
        const record = await t.results.read(name);
        if (String(record?.error?.details?.['excerpt'] ?? '').includes(text) && record !== undefined) found.push(record);
      }
      return found.length > 0 ? found : undefined;
    },
    30_000,
  );
}

async function expectNothingPoisoned(): Promise<void> {
  const { jobsQueue, poisonQueue } = t.config.names;
  await waitForEmpty(queue(jobsQueue));
  expect(await messageCount(queue(poisonQueue))).toBe(0);
  expect(await messageCount(queue(poisonQueueName(poisonQueue)))).toBe(0);
}

describe('names the storage service would refuse', () => {
  it('a job message naming a lone surrogate ends as one invalid_message record on its first delivery', { timeout: 60_000 }, async () => {
    // A JSON escape is how a lone surrogate travels: UTF-8 cannot carry one.
    const text = `{"v":1,"container":"${t.config.names.inputContainer}","blob":"\\ud800x.png","etag":"\\"0x1\\"","contentLength":10}`;
    await sendText(t, text);
    const [record, ...others] = await invalidRecordsWith('\\ud800x.png');
    expect(others).toEqual([]);
    expect(record?.error).toMatchObject({ code: 'invalid_message', retryable: false });
    expect(record?.error?.message).toContain('blob: must be well-formed Unicode, found a lone surrogate U+D800');
    expect(record?.attempt).toBe(1);
    await expectNothingPoisoned();
    expect(events(logs, 'job.poisoned')).toEqual([]);
  });

  it(
    'uploads whose records would pass 1,024 characters or 254 segments end as invalid_blob_name; one at the limit is analysed',
    { timeout: 90_000 },
    async () => {
      const long = `long/${'x'.repeat(MAX_UPLOAD_NAME_CHARS - 'long/'.length - '.png'.length + 1)}.png`;
      const deep = `${Array.from({ length: MAX_UPLOAD_NAME_SEGMENTS }, () => 'd').join('/')}.png`;
      const atLimit = `fits/${'x'.repeat(MAX_UPLOAD_NAME_CHARS - 'fits/'.length - '.png'.length)}.png`;
      expect([long.length, deep.split('/').length, atLimit.length]).toEqual([
        MAX_UPLOAD_NAME_CHARS + 1,
        MAX_UPLOAD_NAME_SEGMENTS,
        MAX_UPLOAD_NAME_CHARS,
      ]);
      const tooDeep = `deeper/${deep}`;
      for (const name of [long, tooDeep, atLimit]) await t.upload(name, fixture('chart.png'));

      const [longRecord] = await invalidRecordsWith('long/xxx');
      expect(longRecord?.error).toMatchObject({ code: 'invalid_blob_name', retryable: false });
      expect(longRecord?.error?.message).toContain(
        `upload name is ${MAX_UPLOAD_NAME_CHARS + 1} characters; at most ${MAX_UPLOAD_NAME_CHARS}`,
      );
      expect(longRecord?.source).toMatchObject({ container: t.config.names.inputContainer, blob: long });
      const [deepRecord] = await invalidRecordsWith('deeper/d/d/');
      expect(deepRecord?.error?.message).toContain(
        `has ${MAX_UPLOAD_NAME_SEGMENTS + 1} path segments; at most ${MAX_UPLOAD_NAME_SEGMENTS}`,
      );
      expect(deepRecord?.source.blob).toBe(tooDeep);

      expect((await t.waitForRecord(atLimit, { timeoutMs: 60_000 })).status).toBe('succeeded');
      for (const name of [long, tooDeep]) expect(await t.results.read(resultPath(name))).toBeUndefined();
      await expectNothingPoisoned();
    },
  );
});

describe('messages left in <queue>-poison-poison', () => {
  it('get their record from the sweep: a job as poisoned, text that is no job as invalid_message', { timeout: 60_000 }, async () => {
    const stranded = queue(poisonQueueName(t.config.names.poisonQueue));
    await stranded.createIfNotExists();
    const job = jobOf(t, 'stranded/never-recorded.png', '"0x2"', 1234);
    await stranded.sendMessage(encodeMessage(serializeJobMessage(job), hostSettings().queues.messageEncoding));
    // Text the host could not decode is copied as it is.
    await stranded.sendMessage('not a job {');

    const record = await t.waitForRecord(job.blob, { timeoutMs: 30_000 });
    expect(record.status).toBe('failed');
    expect(record.error).toMatchObject({ code: 'poisoned' });
    expect(record.source).toMatchObject({ blob: job.blob, etag: job.etag });
    const [invalid] = await invalidRecordsWith('not a job {');
    expect(invalid?.error?.code).toBe('invalid_message');
    await waitForEmpty(stranded);
    expect(events(logs, 'stranded.swept').reduce((sum, line) => sum + Number(line['recorded']), 0)).toBe(2);

    const metrics = await collectMetrics({ storage: t.storage, names: t.config.names });
    expect(metrics.stranded).toEqual({ poisonOfPoison: { queue: stranded.name, depth: 0, oldestAgeSeconds: null }, deadLetters: 0 });
  });
});
