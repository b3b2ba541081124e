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

/** Storage failures that are not about the file (throttling, 5xx, resets) are worth retrying. */
export function storageUnavailable(error: unknown, doing: string): WorkerError {
  const status = statusOf(error);
  const text = error instanceof Error ? error.message : String(error);
  return new TransientError('storage_unavailable', `storage failed while ${doing}${status === undefined ? '' : ` (HTTP ${status})`}: ${text}`, {
    cause: error,
  });
}
