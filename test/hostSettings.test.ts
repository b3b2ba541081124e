/**
 * host.json is the one source of the queue semantics (for the Functions host in Azure and the local
 * host here), so the committed file must parse, and its time spans must read as .NET reads them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HOST_JSON_PATH, decodeMessage, encodeMessage, hostSettings, parseHostSettings, parseTimeSpan } from '../src/hostSettings.js';

describe('the committed host.json', () => {
  const json = JSON.parse(readFileSync(HOST_JSON_PATH, 'utf8')) as { extensions: { queues: Record<string, unknown> } };

  it('parses, with the retry and encoding the worker relies on', () => {
    const settings = hostSettings();
    expect(settings).toEqual(parseHostSettings(json));
    expect(settings.queues.maxDequeueCount).toBe(5);
    expect(settings.queues.messageEncoding).toBe('base64');
    expect(settings.queues.batchSize).toBe(json.extensions.queues['batchSize']);
    expect(settings.queues.newBatchThreshold).toBe(json.extensions.queues['newBatchThreshold']);
    expect(settings.queues.visibilityTimeoutMs).toBe(parseTimeSpan(String(json.extensions.queues['visibilityTimeout'])));
    expect(settings.functionTimeoutMs).toBeGreaterThan(0);
    // A running job must fit in the function timeout, and a failed one is retried well within it.
    expect(settings.queues.visibilityTimeoutMs).toBeLessThan(settings.functionTimeoutMs);
  });

  it('is what the message encoding helpers write and read', () => {
    const { messageEncoding } = hostSettings().queues;
    for (const text of ['{"v":1,"blob":"a/b.png"}', 'ünïcödé ✓ 😀', '', 'line\nbreak']) {
      const encoded = encodeMessage(text, messageEncoding);
      expect(encoded).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);
      expect(decodeMessage(encoded, messageEncoding)).toBe(text);
    }
    expect(encodeMessage('{"a":1}', 'base64')).toBe(Buffer.from('{"a":1}').toString('base64'));
    expect(encodeMessage('{"a":1}', 'none')).toBe('{"a":1}');
    expect(decodeMessage('{"a":1}', 'none')).toBe('{"a":1}');
  });
});

describe('parseHostSettings', () => {
  it('applies the Functions host defaults to an empty host.json', () => {
    expect(parseHostSettings({})).toEqual({
      functionTimeoutMs: 30 * 60_000,
      queues: {
        maxDequeueCount: 5,
        visibilityTimeoutMs: 0,
        batchSize: 16,
        newBatchThreshold: 8,
        maxPollingIntervalMs: 60_000,
        messageEncoding: 'base64',
      },
    });
  });

  it('derives newBatchThreshold from batchSize unless it is set', () => {
    expect(parseHostSettings({ extensions: { queues: { batchSize: 9 } } }).queues.newBatchThreshold).toBe(4);
    expect(parseHostSettings({ extensions: { queues: { batchSize: 9, newBatchThreshold: 0 } } }).queues.newBatchThreshold).toBe(0);
  });

  it('rejects settings the host would reject', () => {
    expect(() => parseHostSettings({ extensions: { queues: { batchSize: 33 } } })).toThrow();
    expect(() => parseHostSettings({ extensions: { queues: { maxDequeueCount: 0 } } })).toThrow();
    expect(() => parseHostSettings({ extensions: { queues: { messageEncoding: 'utf8' } } })).toThrow();
    expect(() => parseHostSettings({ extensions: { queues: { visibilityTimeout: '30s' } } })).toThrow(/time span/);
  });
});

describe('parseTimeSpan', () => {
  it('reads [d.]hh:mm:ss[.fff]', () => {
    expect(parseTimeSpan('00:00:00')).toBe(0);
    expect(parseTimeSpan('00:00:30')).toBe(30_000);
    expect(parseTimeSpan('00:10:00')).toBe(600_000);
    expect(parseTimeSpan('01:00:00')).toBe(3_600_000);
    expect(parseTimeSpan('23:59:59')).toBe(86_399_000);
    expect(parseTimeSpan('1:02:03')).toBe(3_723_000);
  });

  it('reads days', () => {
    expect(parseTimeSpan('1.00:00:00')).toBe(86_400_000);
    expect(parseTimeSpan('2.03:04:05')).toBe(((2 * 24 + 3) * 3600 + 4 * 60 + 5) * 1000);
    expect(parseTimeSpan('10.00:00:01')).toBe(864_001_000);
  });

  it('reads fractions of a second', () => {
    expect(parseTimeSpan('00:00:01.5')).toBe(1_500);
    expect(parseTimeSpan('00:00:00.25')).toBe(250);
    expect(parseTimeSpan('00:00:00.005')).toBe(5);
    expect(parseTimeSpan('1.00:00:00.100')).toBe(86_400_100);
  });

  it('rejects text that is not a time span, saying what it expected and what it got', () => {
    for (const value of ['', '30', '30s', '00:30', 'PT30S', '-00:00:30', '00:00:30 ', 'aa:bb:cc', '1.:00:00:00', '1.2.00:00:00']) {
      expect(() => parseTimeSpan(value), value).toThrow(`expected a time span like "00:00:30", got "${value}"`);
    }
  });

  it('rejects out-of-range hours, minutes and seconds, as .NET TimeSpan does', () => {
    for (const value of ['24:00:00', '00:60:00', '00:00:60', '00:99:99', '1.25:00:00']) {
      expect(() => parseTimeSpan(value), value).toThrow(value);
    }
  });
});
