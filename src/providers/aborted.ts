/** A model call given up because its signal fired: the job's deadline is a timeout, anything else a cancel. */
import { TransientError } from '../errors.js';

/** `AbortSignal.timeout` (the job's deadline) fires with a TimeoutError; a plain abort is the caller's. */
export function abortedError(signal: AbortSignal, messages: { timedOut: string; cancelled: string }, cause?: unknown): TransientError {
  const timedOut = signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError';
  const options = cause === undefined ? {} : { cause };
  return timedOut
    ? new TransientError('timeout', messages.timedOut, options)
    : new TransientError('internal_error', messages.cancelled, options);
}
