/**
 * Job messages are untrusted input: anything that is not exactly a job for this worker's container is
 * rejected with a message that says what was expected and what was received.
 */
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors.js';
import {
  DEFERRALS_LIMIT,
  InvalidMessageError,
  MAX_MESSAGE_CHARS,
  parseJobMessage,
  serializeJobMessage,
  type JobMessage,
} from '../../src/contracts/jobMessage.js';

const CONTAINER = 'uploads';
const valid: JobMessage = { v: 1, container: CONTAINER, blob: 'invoices/2024/march.png', etag: '"0x8DCB1"', contentLength: 1234 };

function rejection(raw: unknown): InvalidMessageError {
  try {
    parseJobMessage(raw, CONTAINER);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidMessageError);
    return error as InvalidMessageError;
  }
  throw new Error(`accepted ${JSON.stringify(raw)}`);
}

const withBlob = (blob: string): Record<string, unknown> => ({ ...valid, blob });

describe('parseJobMessage accepts', () => {
  it('a job as JSON text, as a Buffer and as the object the worker already parsed', () => {
    const text = serializeJobMessage(valid);
    expect(parseJobMessage(text, CONTAINER)).toEqual(valid);
    expect(parseJobMessage(Buffer.from(text, 'utf8'), CONTAINER)).toEqual(valid);
    expect(parseJobMessage(JSON.parse(text) as unknown, CONTAINER)).toEqual(valid);
  });

  it('a profile, unicode and spaces in names, and a message just under the size limit', () => {
    const job = { ...valid, blob: 'Reçus/été 2024/ticket #1 (copy).jpg', profile: 'receipt_v2-eu' };
    expect(parseJobMessage(job, CONTAINER)).toEqual(job);
    const padding = MAX_MESSAGE_CHARS - serializeJobMessage({ ...valid, etag: '' }).length;
    const big = { ...valid, etag: 'e'.repeat(Math.min(128, padding)) };
    expect(serializeJobMessage(big).length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    expect(parseJobMessage(serializeJobMessage(big), CONTAINER)).toEqual(big);
  });
});

describe('parseJobMessage rejects', () => {
  it('text that is not JSON, saying what it expected and quoting what it got', () => {
    const error = rejection('please analyse my photo');
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.code).toBe('invalid_message');
    expect(error.message).toContain('not JSON');
    expect(error.message).toContain('expected {"v":1');
    expect(error.message).toContain('received "please analyse my photo"');
    expect(error.excerpt).toBe('please analyse my photo');
    expect(rejection(Buffer.from([0xff, 0xfe, 0x00, 0x01])).message).toContain('not JSON');
  });

  it('JSON that is not an object', () => {
    expect(rejection('null').message).toMatch(/expected object, received null/);
    expect(rejection('[1,2]').message).toMatch(/expected object, received array/);
    expect(rejection('"a string"').message).toMatch(/expected object, received string/);
    expect(rejection(42).message).toMatch(/expected object, received number/);
  });

  it('a message over the size limit, before parsing it, with its size and the limit', () => {
    const huge = JSON.stringify({ ...valid, blob: 'x'.repeat(MAX_MESSAGE_CHARS) });
    const error = rejection(huge);
    expect(error.message).toContain(`${huge.length} characters`);
    expect(error.message).toContain(`at most ${MAX_MESSAGE_CHARS}`);
    // The failure record keeps an excerpt, not the whole message.
    expect(error.excerpt.length).toBeLessThan(600);
    expect(rejection({ ...valid, padding: 'y'.repeat(MAX_MESSAGE_CHARS) }).message).toContain(`at most ${MAX_MESSAGE_CHARS}`);
  });

  it('missing fields, naming each one', () => {
    const error = rejection({ v: 1, container: CONTAINER });
    for (const field of ['blob', 'etag', 'contentLength']) expect(error.message).toContain(`${field}: Invalid input: expected`);
    expect(error.message).toContain('received undefined');
  });

  it('extra keys, including the ones that would shadow trigger metadata', () => {
    for (const key of ['id', 'dequeueCount', 'popReceipt', 'url']) {
      const error = rejection({ ...valid, [key]: 'x' });
      expect(error.message).toContain(`unexpected "${key}"`);
      expect(error.message).toContain('a job message has only v, container, blob, etag, contentLength, profile');
    }
    const all = rejection(JSON.stringify({ ...valid, id: '1', dequeueCount: 1, popReceipt: 'p' }));
    expect(all.message).toContain('unexpected "id", "dequeueCount", "popReceipt"');
  });

  it('a __proto__ key, without polluting Object.prototype', () => {
    const text = `{"v":1,"container":"${CONTAINER}","blob":"a.png","etag":"e","contentLength":1,"__proto__":{"polluted":true}}`;
    expect(rejection(text).message).toContain('unexpected "__proto__"');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('wrong types and values, with what was expected and what was received', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...valid, v: 2 }, /v: .*expected 1, received 2/],
      [{ ...valid, v: '1' }, /v: .*expected 1, received "1"/],
      [{ ...valid, contentLength: '1234' }, /contentLength: .*expected number, received string/],
      [{ ...valid, contentLength: -1 }, /contentLength: .*>=0, received -1/],
      [{ ...valid, contentLength: 1.5 }, /contentLength: .*expected int, received number/],
      [{ ...valid, blob: 7 }, /blob: .*expected string, received number/],
      [{ ...valid, etag: '' }, /etag: .*>=1 characters, received ""/],
      [{ ...valid, container: ['uploads'] }, /container: .*expected string, received array/],
      [{ ...valid, profile: null }, /profile: .*expected string, received null/],
    ];
    for (const [raw, expected] of cases) expect(rejection(raw).message).toMatch(expected);
  });

  it('a job for another container, naming both', () => {
    const error = rejection({ ...valid, container: 'someone-elses' });
    expect(error.message).toContain('"someone-elses"');
    expect(error.message).toContain(`only reads "${CONTAINER}"`);
  });

  it('a URL instead of a blob name', () => {
    for (const blob of ['https://evil.example/x.png', 'http://169.254.169.254/metadata', 'file:///etc/passwd', 'HTTPS://UPPER.example/a']) {
      const error = rejection(withBlob(blob));
      expect(error.message).toContain('must be a blob name, not a URL');
      expect(error.message).toContain(`received ${JSON.stringify(blob)}`);
    }
  });

  it('"." and ".." path segments', () => {
    for (const blob of ['../secret.png', 'a/../../b.png', 'a/..', './a.png', 'a/./b.png', '..', '.']) {
      const error = rejection(withBlob(blob));
      expect(error.message).toContain('must not contain empty, "." or ".." path segments');
      expect(error.message).toContain(`received ${JSON.stringify(blob)}`);
    }
    // Dots inside a segment are an ordinary name.
    expect(parseJobMessage(withBlob('a/..b/c..png'), CONTAINER).blob).toBe('a/..b/c..png');
  });

  it('empty segments, a leading or trailing slash, and an empty name', () => {
    expect(rejection(withBlob('a//b.png')).message).toContain('empty, "." or ".." path segments, received "a//b.png"');
    expect(rejection(withBlob('/a.png')).message).toContain('must not start or end with "/", received "/a.png"');
    expect(rejection(withBlob('folder/')).message).toContain('must not start or end with "/", received "folder/"');
    expect(rejection(withBlob('')).message).toContain('blob: must not be empty');
    expect(rejection(withBlob('x'.repeat(1025))).message).toMatch(/blob: is 1025 characters; at most \d+/);
  });

  it('control characters and backslashes, escaped in the message', () => {
    for (const blob of ['a\nb.png', 'a\u0000.png', 'tab\there.png', 'del\u007f.png', 'a\\..\\b.png', 'c1\u0085.png', 'lone\ud800.png']) {
      const error = rejection(withBlob(blob));
      expect(error.message).toMatch(/must not contain control|must not contain backslashes|lone surrogate U\+D800/);
      expect(error.message).toContain(`received ${JSON.stringify(blob)}`);
      // Nothing raw that could split a log line.
      expect([...error.message].filter((c) => c.charCodeAt(0) < 0x20)).toEqual([]);
    }
  });

  it('a profile with characters outside lowercase letters, digits, - and _', () => {
    for (const profile of ['Invoice', 'in voice', '../describe', '-leading', '', 'x'.repeat(65), 'ünï']) {
      const error = rejection({ ...valid, profile });
      expect(error.message).toContain('must be a profile name (lowercase letters, digits, - and _)');
      expect(error.message).toContain(`received ${JSON.stringify(profile)}`);
    }
  });

  it('every problem at once rather than the first', () => {
    const error = rejection({ v: 1, container: CONTAINER, blob: '../x', etag: 5, contentLength: -2 });
    expect(error.message).toMatch(/blob: .*; etag: .*; contentLength: /);
  });
});

describe('the deferral count', () => {
  it('is accepted as a whole number from 1 to DEFERRALS_LIMIT and kept when serialized', () => {
    for (const deferrals of [1, DEFERRALS_LIMIT]) {
      const job = { ...valid, deferrals };
      expect(parseJobMessage(serializeJobMessage(job), CONTAINER)).toEqual(job);
    }
  });

  it('is rejected as 0, negative, fractional, past the limit or not a number', () => {
    for (const deferrals of [0, -1, 1.5, DEFERRALS_LIMIT + 1, '3', null]) {
      expect(rejection({ ...valid, deferrals }).message).toMatch(/^job message is invalid: deferrals: /);
    }
  });
});
