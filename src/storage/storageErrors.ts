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
 * Any RestError (throttling, 5xx, and a missing container or role, which a fixed deployment cures) and the
 * network failures under it; statuses about the file (404 on the upload, 412) are handled before this.
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
  return new TransientError(
    'storage_unavailable',
    `storage failed while ${doing}${status === undefined ? '' : ` (HTTP ${status})`}: ${text}`,
    {
      cause: error,
    },
  );
}
