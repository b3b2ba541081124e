import { RestError } from '@azure/storage-blob';
import { TransientError, type WorkerError } from '../errors.js';

export function statusOf(error: unknown): number | undefined {
  if (error instanceof RestError) return error.statusCode;
  if (typeof error === 'object' && error !== null && 'statusCode' in error && typeof error.statusCode === 'number') return error.statusCode;
  return undefined;
}

export function isStatus(error: unknown, status: number): boolean {
  return statusOf(error) === status;
}

/** Socket-level failures Node and the Azure SDK report by `code` (the SDK's own code when a request could not be sent). */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'REQUEST_SEND_ERROR',
]);

/**
 * True for an error from the storage service or the way to it: every RestError (the storage SDKs' one
 * error type, whatever the status: throttling 503, 500 timeouts, 408, and also 403/404 for a container or
 * permission that is missing, which a fix of the deployment cures) and the network failures under it.
 * Statuses that mean something about the file (404 on the upload, 412 on a conditional write) are
 * handled where they occur, before anything reaches this.
 */
export function isStorageFailure(error: unknown): boolean {
  if (error instanceof RestError || (error instanceof Error && error.name === 'RestError')) return true;
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  return typeof code === 'string' && NETWORK_CODES.has(code);
}

/** Storage failures that are not about the file (throttling, 5xx, resets) are worth retrying. */
export function storageUnavailable(error: unknown, doing: string): WorkerError {
  const status = statusOf(error);
  const text = error instanceof Error ? error.message : String(error);
  return new TransientError('storage_unavailable', `storage failed while ${doing}${status === undefined ? '' : ` (HTTP ${status})`}: ${text}`, {
    cause: error,
  });
}
