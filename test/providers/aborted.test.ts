/** A model call whose signal fired: the job's deadline gives a timeout, a plain abort a transient cancel. */
import { describe, expect, it } from 'vitest';
import { TransientError } from '../../src/errors.js';
import { abortedError } from '../../src/providers/aborted.js';

const MESSAGES = { timedOut: 'the time budget ran out', cancelled: 'the call was cancelled' };

describe('abortedError', () => {
  it("maps the job's deadline (a TimeoutError reason) to timeout", () => {
    const error = abortedError(AbortSignal.abort(new DOMException('signal timed out', 'TimeoutError')), MESSAGES);
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'timeout', message: MESSAGES.timedOut });
    expect(error.cause).toBeUndefined();
  });

  it('maps any other abort to a transient internal_error, keeping the cause', () => {
    const cause = new Error('Request was aborted.');
    const error = abortedError(AbortSignal.abort(), MESSAGES, cause);
    expect(error).toMatchObject({ code: 'internal_error', message: MESSAGES.cancelled, retryable: true });
    expect(error.cause).toBe(cause);
  });
});
