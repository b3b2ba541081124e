/**
 * The whole path on real Azurite: upload -> BlobCreated event -> job queue -> analysis -> result JSON,
 * through the local host driving the app's own function registrations.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage, hostSettings } from '../../src/hostSettings.js';
import { describeSchema } from '../../src/profiles/describe.js';
import { invoiceSchema } from '../../src/profiles/invoice.js';
import { invalidMessagePath } from '../../src/contracts/blobPaths.js';
import { startTestHost, type TestHost } from '../support/testHost.js';
import { fixture } from '../support/fixtures.js';

describe('worker end to end with the offline provider', () => {
  let t: TestHost;
  beforeAll(async () => {
    t = await startTestHost();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('turns an uploaded photo into a result JSON with the documented fields', async () => {
    const bytes = fixture('photo.jpg');
    const etag = await t.upload('holiday/photo.jpg', bytes);
    const record = await t.waitForRecord('holiday/photo.jpg');

    expect(record.status).toBe('succeeded');
    expect(record.source).toMatchObject({
      container: t.config.names.inputContainer,
      blob: 'holiday/photo.jpg',
      etag,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      mime: 'image/jpeg',
    });
    expect(record.profile).toBe('describe');
    expect(record.provider.name).toBe('offline');
    expect(record.attempt).toBe(1);
    expect(record.usage.imageTokensEstimated).toBe(70);
    expect(record.timings.totalMs).toBeGreaterThan(0);
    expect(record.timings.downloadMs).not.toBeNull();
    expect(describeSchema.parse(record.data).dominant_colors.length).toBeGreaterThan(0);
  });

  it('chooses the invoice profile from the path rule and validates its output', async () => {
    await t.upload('invoices/march.png', fixture('invoice.png'));
    const record = await t.waitForRecord('invoices/march.png');
    expect(record.status).toBe('succeeded');
    expect(record.profile).toBe('invoice');
    expect(record.source.mime).toBe('image/png');
    // The offline provider reads the invoice with OCR: the fields the ground truth names must match.
    const expected = JSON.parse(fixture('invoice.expected.json').toString('utf8')) as {
      invoice_number: string;
      date: string;
      total: number;
    };
    const data = invoiceSchema.parse(record.data);
    expect(data).toMatchObject({ invoice_number: expected.invoice_number, date: expected.date, total: expected.total });
    expect(record.provider.info?.['ocrEngine']).toMatch(/tesseract/);
    expect(record.evidence?.['total']?.text).toContain('95.84');
  });

  it('takes the profile from blob metadata over the path rule', async () => {
    await t.upload('invoices/actually-a-photo.jpg', fixture('photo.jpg'), { profile: 'describe' });
    const record = await t.waitForRecord('invoices/actually-a-photo.jpg');
    expect(record.profile).toBe('describe');
  });

  it('writes a failure record at once for a file that is not an image', async () => {
    await t.upload('docs/notes.png', fixture('notes.txt'));
    const record = await t.waitForRecord('docs/notes.png');
    expect(record.status).toBe('failed');
    expect(record.error).toMatchObject({ code: 'unsupported_media_type', retryable: false });
    expect(record.source.mime).toBe('text/plain');
    expect(record.attempt).toBe(1);
  });

  it('writes a failure record for a corrupt image', async () => {
    await t.upload('broken.jpg', fixture('truncated.jpg'));
    const record = await t.waitForRecord('broken.jpg');
    expect(record.error?.code).toBe('corrupt_image');
  });

  it('fails an unknown profile named in metadata with a clear message', async () => {
    await t.upload('x/photo.jpg', fixture('photo.jpg'), { profile: 'horoscope' });
    const record = await t.waitForRecord('x/photo.jpg');
    expect(record.error?.code).toBe('unknown_profile');
    expect(record.error?.message).toContain('horoscope');
  });

  it('analyses an overwritten blob again and keeps the newer record', async () => {
    await t.upload('overwrite.png', fixture('screenshot.png'));
    const first = await t.waitForRecord('overwrite.png');
    const etag = await t.upload('overwrite.png', fixture('photo.jpg'));
    const second = await t.waitForRecord('overwrite.png', { etag });
    expect(second.source.mime).toBe('image/jpeg');
    expect(second.source.sha256).not.toBe(first.source.sha256);
  });

  it('reads job messages in the encoding host.json declares, as any queue tool would send them', async () => {
    expect(hostSettings().queues.messageEncoding).toBe('base64');
    const etag = await t.upload('manual/photo.jpg', fixture('photo.jpg'));
    // Its BlobCreated event enqueues this one too; the duplicate must not produce a second, different record.
    const job = {
      v: 1,
      container: t.config.names.inputContainer,
      blob: 'manual/photo.jpg',
      etag,
      contentLength: fixture('photo.jpg').length,
    };
    await t.storage.queues.getQueueClient(t.config.names.jobsQueue).sendMessage(encodeMessage(JSON.stringify(job), 'base64'));
    const record = await t.waitForRecord('manual/photo.jpg');
    expect(record.status).toBe('succeeded');
    expect(record.source.etag).toBe(etag);
  });

  it('records a message that is not a job under _invalid-messages and keeps going', async () => {
    const text = 'this is not a job';
    await t.storage.queues.getQueueClient(t.config.names.jobsQueue).sendMessage(encodeMessage(text, 'base64'));
    const record = await t.waitForRecord(text, { path: invalidMessagePath(text) });
    expect(record.error?.code).toBe('invalid_message');
    await t.upload('after-invalid.jpg', fixture('photo.jpg'));
    expect((await t.waitForRecord('after-invalid.jpg')).status).toBe('succeeded');
  });

  it('rejects a job naming another container', async () => {
    const job = { v: 1, container: 'someone-elses', blob: 'secret.png', etag: '"0x1"', contentLength: 1 };
    const text = JSON.stringify(job);
    await t.storage.queues.getQueueClient(t.config.names.jobsQueue).sendMessage(encodeMessage(text, 'base64'));
    const record = await t.waitForRecord('secret.png', { path: invalidMessagePath(text) });
    expect(record.error?.message).toContain('someone-elses');
  });
});
