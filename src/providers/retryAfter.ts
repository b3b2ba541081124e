/** The wait a model service asks for before a retry, read one way by the limiter, the provider and deferral. */
import type { WorkerError } from '../errors.js';

/**
 * `retry-after-ms` first, then `retry-after` (seconds or an HTTP date). 0 is a wait (retry now, as is a
 * date already past); a negative number or anything unparsable is no wait.
 */
export function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers?.get('retry-after') ?? '';
  const seconds = Number.parseFloat(raw);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** The `retryAfterMs` a provider or the limiter put in an error's details, when it is a wait (finite, not negative). */
export function retryAfterOf(error: WorkerError): number | undefined {
  const value = error.details?.['retryAfterMs'];
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
