/**
 * One bad field does not sink a document, end to end: upload -> local host on Azurite -> the Azure
 * OpenAI-compatible test server -> result. A receipt whose time is still "2:05 PM" after the repair
 * request succeeds with the time null, the value and reason in a warning and in the field's evidence; an
 * answer whose repair is still wrong in shape fails as before; a user-defined profile's `pattern` is left
 * out of the schema sent and still enforced, and salvaged the same way.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { repairInstruction } from '../../src/providers/openaiProvider.js';
import { fixture } from '../support/fixtures.js';
import {
  deploymentEnv,
  startOpenAiCompatibleServer,
  type OpenAiCompatibleServer,
  type RecordedRequest,
} from '../support/openaiCompatibleServer.js';
import { exampleResult } from '../support/profileExamples.js';
import { startTestHost, type TestHost } from '../support/testHost.js';

interface ChatBody {
  messages: { role: string; content: unknown }[];
  response_format: { json_schema: { schema: { properties: Record<string, unknown> } } };
}
const bodyOf = (request: RecordedRequest | undefined): ChatBody => request?.body as ChatBody;

/** The committed contract of the results container, as a validator of its own. */
const committedSchema = z.fromJSONSchema(
  JSON.parse(readFileSync(new URL('../../schemas/result.schema.json', import.meta.url), 'utf8')) as Parameters<typeof z.fromJSONSchema>[0],
);

const TIME_ISSUE = 'time: expected a time as HH:MM (24-hour)';

const ticketSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['plate', 'fine'],
  properties: {
    plate: { type: ['string', 'null'], description: 'Number plate as printed', pattern: '^[A-Z]{1,3}-[A-Z]{1,2} \\d{1,4}$' },
    fine: { type: ['number', 'null'] },
  },
};
const PROFILE_FILE = [
  // A file's rules replace the default ones, so receipts/ is named again.
  'rules:',
  '  - prefix: receipts/',
  '    profile: receipt',
  '  - prefix: parking/',
  '    profile: parking-ticket',
  'profiles:',
  '  parking-ticket:',
  '    system: You read parking tickets. Answer only with JSON that matches the schema.',
  '    user: Extract the ticket.',
  `    schema: ${JSON.stringify(ticketSchema)}`,
  '',
].join('\n');

describe('a field that fails only a format check after the repair is set to null', () => {
  let server: OpenAiCompatibleServer;
  let t: TestHost;
  beforeAll(async () => {
    const profiles = join(mkdtempSync(join(tmpdir(), 'salvage-e2e-')), 'profiles.yaml');
    writeFileSync(profiles, PROFILE_FILE);
    server = await startOpenAiCompatibleServer();
    t = await startTestHost({
      env: { ...deploymentEnv(server.url), MODEL_TIMEOUT_MS: '5000', RESULT_CACHE: 'off', PROFILES_FILE: profiles },
    });
  });
  afterAll(async () => {
    await t.stop();
    await server.close();
  });

  it('a receipt whose time stays "2:05 PM" succeeds with the time null, a warning and the evidence', async () => {
    const answer = JSON.stringify({ ...exampleResult('receipt'), time: '2:05 PM' });
    const before = server.requests.length;
    server.reply({ content: answer }, { content: answer });
    await t.upload('receipts/late-lunch.png', fixture('invoice.png'));
    const record = await t.waitForRecord('receipts/late-lunch.png');

    // The model got its one chance to correct the time first.
    expect(server.requests).toHaveLength(before + 2);
    expect(bodyOf(server.requests.at(-1)).messages.at(-1)?.content).toBe(repairInstruction([TIME_ISSUE]));
    expect(record.status).toBe('succeeded');
    expect(record.data).toEqual({ ...exampleResult('receipt'), time: null });
    expect(record.warnings).toEqual([
      `the first answer did not match the "receipt" schema (${TIME_ISSUE}); a repair request did not correct every field`,
      'time: "2:05 PM" is not a time as HH:MM (24-hour); set to null',
    ]);
    expect(record.evidence).toEqual({
      time: { confidence: 0, text: '2:05 PM', rejected: { value: '2:05 PM', reason: 'expected a time as HH:MM (24-hour)' } },
    });
    expect(committedSchema.safeParse(record).error?.issues ?? []).toEqual([]);
  });

  it('a repaired answer that is still wrong in shape fails with schema_validation_failed', async () => {
    const first = JSON.stringify({ ...exampleResult('receipt'), time: '2:05 PM' });
    const second = JSON.stringify({ ...exampleResult('receipt'), time: '2:05 PM', total: '10.52 EUR' });
    server.reply({ content: first }, { content: second });
    await t.upload('receipts/smudged.png', fixture('invoice.png'));
    const record = await t.waitForRecord('receipts/smudged.png');

    expect(record.status).toBe('failed');
    expect(record.data).toBeUndefined();
    expect(record.error).toMatchObject({
      code: 'schema_validation_failed',
      retryable: false,
      details: { issues: [TIME_ISSUE, 'total: expected number, received string'], rawText: second, firstIssues: [TIME_ISSUE] },
    });
  });

  it("a user-defined profile's pattern is not sent, is enforced, and a plate that breaks it twice is set to null", async () => {
    const answer = JSON.stringify({ plate: 'ka xy 123', fine: 40 });
    const before = server.requests.length;
    server.reply({ content: answer }, { content: answer });
    await t.upload('parking/ticket-9.png', fixture('screenshot.png'));
    const record = await t.waitForRecord('parking/ticket-9.png');

    expect(server.requests).toHaveLength(before + 2);
    expect(bodyOf(server.requests[before]).response_format.json_schema.schema.properties['plate']).toEqual({
      type: ['string', 'null'],
      description: 'Number plate as printed (must match the pattern ^[A-Z]{1,3}-[A-Z]{1,2} \\d{1,4}$)',
    });
    expect(record).toMatchObject({ status: 'succeeded', profile: 'parking-ticket', data: { plate: null, fine: 40 } });
    const reason = 'Invalid string: must match pattern /^[A-Z]{1,3}-[A-Z]{1,2} \\d{1,4}$/';
    expect(record.warnings.at(-1)).toBe(`plate: "ka xy 123" fails a format check (${reason}); set to null`);
    expect(record.evidence?.['plate']?.rejected).toEqual({ value: 'ka xy 123', reason });
  });
});
