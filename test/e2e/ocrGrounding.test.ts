/**
 * OCR_GROUNDING end to end: for the profiles named, the model's prompt carries the text OCR read from
 * the upload (read once, also for a repair turn), the token estimate and the result say so, and other
 * profiles are asked exactly as without it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deploymentEnv,
  startOpenAiCompatibleServer,
  type OpenAiCompatibleServer,
  type RecordedRequest,
} from '../support/openaiCompatibleServer.js';
import { startTestHost, type TestHost } from '../support/testHost.js';
import { fixture } from '../support/fixtures.js';

const expected = JSON.parse(fixture('invoice.expected.json').toString('utf8')) as Record<string, unknown>;

/** The text parts of the user message, in order. */
function userTexts(request: RecordedRequest | undefined): string[] {
  const body = request?.body as { messages: { role: string; content: unknown }[] } | undefined;
  const user = body?.messages.find((message) => message.role === 'user');
  if (!Array.isArray(user?.content)) return [];
  return (user.content as { type: string; text?: string }[]).filter((part) => part.type === 'text').map((part) => part.text ?? '');
}

describe('OCR grounding for the model path', () => {
  let server: OpenAiCompatibleServer;
  let t: TestHost;
  beforeAll(async () => {
    server = await startOpenAiCompatibleServer();
    t = await startTestHost({
      env: {
        ...deploymentEnv(server.url),
        RESULT_CACHE: 'off',
        OCR_GROUNDING: 'invoice',
      },
    });
  });
  afterAll(async () => {
    await t.stop();
    await server.close();
  });

  it('adds what OCR read to the prompt of a grounded profile, the same for both turns of a repair', async () => {
    server.reply({ content: JSON.stringify({ ...expected, date: '15/03/2024' }) }, { content: JSON.stringify(expected) });
    const before = server.requests.length;
    await t.upload('invoices/inv-1042.png', fixture('invoice.png'));
    const record = await t.waitForRecord('invoices/inv-1042.png', { timeoutMs: 60_000 });

    expect(record.status).toBe('succeeded');
    expect(record.data).toEqual(expected);
    const [first, repair] = server.requests.slice(before);
    const [instructions, grounding] = userTexts(first);
    expect(instructions).toMatch(/invoice/i);
    expect(grounding).toMatch(/^Text read from the image by OCR/);
    expect(grounding).toContain('INV-1042');
    expect(grounding).toContain('95.84');
    expect(userTexts(repair)[1]).toBe(grounding);
    expect(record.provider.info?.['ocrGrounding']).toMatch(/^on: \d+ characters \(tesseract\.js /);
    expect(record.warnings.join('\n')).toMatch(/a repair request corrected it/);
  });

  it('asks other profiles without it', async () => {
    const before = server.requests.length;
    await t.upload('photos/photo.jpg', fixture('photo.jpg'));
    const record = await t.waitForRecord('photos/photo.jpg');

    expect(record.status).toBe('succeeded');
    expect(record.profile).toBe('describe');
    const [request] = server.requests.slice(before);
    expect(userTexts(request)).toHaveLength(1);
    expect(JSON.stringify(request?.body)).not.toContain('<ocr>');
    expect(record.provider.info?.['ocrGrounding']).toBeUndefined();
  });
});
