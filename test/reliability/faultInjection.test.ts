/**
 * Injected model faults: 40 files through the local host and the openai provider (the SDK with its own
 * retries; without the rate limiter in front, whose pacing is tested on its own) against the
 * OpenAI-compatible test server, which fails a share of the calls with 429s (short and long
 * retry-after), 500s, answers that never come, malformed JSON and content filters.
 * Each file's fault plan is chosen by its image width (64 + index), which the server reads back from the
 * image in the request. Every file must end with exactly one record with the planned status and code.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultRecord } from '../../src/contracts/resultRecord.js';
import {
  deploymentEnv,
  promptFiltered,
  startOpenAiCompatibleServer,
  type OpenAiCompatibleServer,
  type RecordedRequest,
  type Reply,
} from '../support/openaiCompatibleServer.js';
import { blobNames, directOpenAiProvider, events } from '../support/jobs.js';
import { waitFor, waitForEmpty } from '../support/storage.js';
import { startTestHost, type TestHost } from '../support/testHost.js';

const OK: Reply = {};
const tooManyRequests = (seconds: number): Reply => ({
  status: 429,
  headers: { 'retry-after': String(seconds) },
  body: { error: { code: '429', message: 'Rate limit is exceeded. Try again later.' } },
});
const serverError: Reply = {
  status: 500,
  body: { error: { message: 'The server had an error while processing your request.', type: 'server_error' } },
};
const malformed: Reply = { content: '{"summary": "A photo", "image_type": ' };
const promptRefused = promptFiltered({ violence: { filtered: true, severity: 'high' } });

interface Plan {
  name: string;
  /** The replies to this file's requests, in order; the last one repeats. */
  replies: Reply[];
  expected: { status: 'succeeded' } | { status: 'failed'; code: string };
}

const PLANS: Plan[] = [
  { name: 'ok', replies: [OK], expected: { status: 'succeeded' } },
  { name: '429 then ok', replies: [tooManyRequests(1), OK], expected: { status: 'succeeded' } },
  // Longer than the SDK may sleep: the job is deferred, twice.
  { name: '429 x2 (9 s) then ok', replies: [tooManyRequests(9), tooManyRequests(9), OK], expected: { status: 'succeeded' } },
  { name: '500 then ok', replies: [serverError, OK], expected: { status: 'succeeded' } },
  { name: 'hang then ok', replies: [{ hang: 'headers' }, OK], expected: { status: 'succeeded' } },
  { name: 'stalled body then ok', replies: [{ hang: 'body' }, OK], expected: { status: 'succeeded' } },
  { name: 'malformed then repaired', replies: [malformed, OK], expected: { status: 'succeeded' } },
  { name: 'malformed twice', replies: [malformed, malformed, OK], expected: { status: 'failed', code: 'schema_validation_failed' } },
  { name: 'prompt filtered', replies: [promptRefused, OK], expected: { status: 'failed', code: 'content_filtered' } },
  { name: 'answer filtered', replies: [{ finishReason: 'content_filter' }, OK], expected: { status: 'failed', code: 'content_filtered' } },
  { name: '500 always', replies: [serverError], expected: { status: 'failed', code: 'model_unavailable' } },
];

const FILES = 40;
const BASE_WIDTH = 64;
const planOf = (index: number): Plan => PLANS[index % PLANS.length] ?? PLANS[0]!;

/** The index of the file a request is about: its image's width, less BASE_WIDTH. */
async function fileIndex(request: RecordedRequest): Promise<number> {
  const body = request.body as { messages: { content: unknown }[] };
  const parts = body.messages.flatMap((message) =>
    Array.isArray(message.content) ? (message.content as { image_url?: { url: string } }[]) : [],
  );
  const url = parts.find((part) => part.image_url !== undefined)?.image_url?.url ?? '';
  const { width } = await sharp(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64')).metadata();
  return width - BASE_WIDTH;
}

describe('injected model faults', () => {
  let server: OpenAiCompatibleServer;
  let t: TestHost;
  const logs: string[] = [];
  const seen = new Map<number, number>();

  beforeAll(async () => {
    server = await startOpenAiCompatibleServer();
    server.setHandler(async (request) => {
      const index = await fileIndex(request);
      const count = seen.get(index) ?? 0;
      seen.set(index, count + 1);
      const { replies } = planOf(index);
      return replies[Math.min(count, replies.length - 1)] ?? OK;
    });
    const env = {
      ...deploymentEnv(server.url),
      MODEL_MAX_RETRIES: '1',
      MODEL_TIMEOUT_MS: '1500',
    };
    t = await startTestHost({ env, provider: directOpenAiProvider(env), host: { maxDequeueCount: 3 }, logs });
  });
  afterAll(async () => {
    await t.stop();
    await server.close();
  });

  it(`ends each of ${FILES} files with exactly one record of the planned status, none duplicated, none left in the queues`, async () => {
    const started = performance.now();
    const names: string[] = [];
    for (let i = 0; i < FILES; i++) {
      const name = `faults/${String(i).padStart(2, '0')}-${planOf(i).name.replace(/[^a-z0-9]+/gi, '-')}.png`;
      const bytes = await sharp({
        create: { width: BASE_WIDTH + i, height: 48, channels: 3, background: { r: (i * 53) % 256, g: (i * 97) % 256, b: 160 } },
      })
        .png()
        .toBuffer();
      await t.upload(name, bytes);
      names.push(name);
    }
    const records: ResultRecord[] = [];
    for (const name of names) records.push(await t.waitForRecord(name, { timeoutMs: 90_000 }));
    const elapsed = Math.round(performance.now() - started);

    const got = records.map((record) => (record.status === 'succeeded' ? 'succeeded' : `failed ${record.error?.code ?? '?'}`));
    const wanted = names.map((_, i) => {
      const { expected } = planOf(i);
      return expected.status === 'succeeded' ? 'succeeded' : `failed ${expected.code}`;
    });
    const tally = (list: string[]) => list.reduce<Record<string, number>>((acc, key) => ({ ...acc, [key]: (acc[key] ?? 0) + 1 }), {});
    console.log(
      [
        `fault injection: ${FILES} files -> ${records.length} records in ${elapsed} ms, ${server.requests.length} model requests`,
        `  outcomes: ${JSON.stringify(tally(got))}`,
        `  deferred ${events(logs, 'job.deferred').length} times, retried ${events(logs, 'job.retry').length} times, poisoned ${events(logs, 'host.message_poisoned').length} times`,
      ].join('\n'),
    );
    expect(got).toEqual(wanted);
    expect(await blobNames(t.storage.blobs.getContainerClient(t.config.names.resultsContainer))).toHaveLength(FILES);
    // Only the files whose model always fails were poisoned; rate limits never were.
    const alwaysFailing = names.filter((_, i) => planOf(i).name === '500 always').sort();
    // recordPoison logs, and the host deletes the poison message, after the record is written.
    await waitFor('every poisoned job to be logged', () => events(logs, 'job.poisoned').length >= alwaysFailing.length);
    const poisoned = events(logs, 'job.poisoned').map((entry) => entry['blob']);
    expect(poisoned.sort()).toEqual(alwaysFailing);
    for (const record of records.filter((r) => r.error?.code === 'model_unavailable')) expect(record.error?.details?.['attempts']).toBe(3);
    await waitForEmpty(t.storage.queues.getQueueClient(t.config.names.poisonQueue));
  });
});
