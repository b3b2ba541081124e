/** Which errors are storage failures (worth retrying), whatever call raised them. */
import { RestError } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import { isStorageFailure, storageUnavailable } from '../../src/storage/storageErrors.js';

describe('isStorageFailure', () => {
  it('is true for the storage SDK errors of any status, and for reset or refused connections', () => {
    for (const status of [408, 500, 503, 403])
      expect(isStorageFailure(new RestError('x', { statusCode: status })), String(status)).toBe(true);
    expect(isStorageFailure(new RestError('connect ECONNREFUSED 127.0.0.1:1', { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isStorageFailure(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
  });

  it('is false for everything else', () => {
    expect(isStorageFailure(new Error('boom'))).toBe(false);
    expect(isStorageFailure(Object.assign(new Error('no such file'), { code: 'ENOENT' }))).toBe(false);
    expect(isStorageFailure('ECONNRESET')).toBe(false);
    expect(isStorageFailure(undefined)).toBe(false);
  });
});

describe('storageUnavailable', () => {
  it('is a retryable storage_unavailable error naming what was being done and the status', () => {
    const error = storageUnavailable(new RestError('Server busy', { statusCode: 503 }), 'reading "a.png"');
    expect(error).toMatchObject({ code: 'storage_unavailable', retryable: true });
    expect(error.message).toBe('storage failed while reading "a.png" (HTTP 503): Server busy');
  });
});
