/**
 * One error root for the worker. Every failure is either permanent (retrying cannot help: the file,
 * the message or the model's verdict is the problem) or transient (the same job may succeed later).
 * `processJob` is the one place that turns this into "write a failure record" or "throw for redelivery".
 */

export const PERMANENT_CODES = [
  'invalid_message',
  'invalid_blob_name',
  'blob_not_found',
  'file_too_large',
  'unsupported_media_type',
  'corrupt_image',
  'image_too_large',
  'unknown_profile',
  'schema_validation_failed',
  'output_truncated',
  'manifest_invalid',
  'manifest_image_missing',
  'manifest_too_many_images',
  'content_filtered',
  'model_rejected',
  'pdf_encrypted',
  'pdf_corrupt',
  'too_many_pages',
  'token_budget_exceeded',
  'document_too_complex',
  'render_failed',
] as const;

export const TRANSIENT_CODES = [
  'rate_limited',
  'model_unavailable',
  'model_auth',
  'timeout',
  'storage_unavailable',
  'internal_error',
] as const;

/** Written by `recordPoison` when the job's own last error is unknown. */
export const POISONED_CODE = 'poisoned';

export type PermanentCode = (typeof PERMANENT_CODES)[number];
export type TransientCode = (typeof TRANSIENT_CODES)[number];
export type ErrorCode = PermanentCode | TransientCode | typeof POISONED_CODE;

export interface WorkerErrorOptions {
  cause?: unknown;
  /** Safe, small facts for the failure record (never secrets or image bytes). */
  details?: Record<string, unknown>;
}

export abstract class WorkerError extends Error {
  abstract readonly retryable: boolean;
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: WorkerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
  }
}

/** Retrying cannot help: record the failure and complete the message. */
export class PermanentError extends WorkerError {
  override readonly retryable = false;
  constructor(code: PermanentCode, message: string, options?: WorkerErrorOptions) {
    super(code, message, options);
  }
}

/** The same job may succeed later: throw so the queue redelivers it. */
export class TransientError extends WorkerError {
  override readonly retryable = true;
  constructor(code: TransientCode, message: string, options?: WorkerErrorOptions) {
    super(code, message, options);
  }
}

/**
 * A setting or the profile file is wrong: reported at start, before any job runs. `setting` names what
 * to fix (an environment variable, or the profile file) and starts the message.
 */
export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** Normalises anything thrown into an Error (a thrown string or object must not lose its text). */
export function ensureError(value: unknown): Error {
  if (value instanceof Error) return value;
  let text: string;
  try {
    text = typeof value === 'string' ? value : JSON.stringify(value);
  } catch {
    text = String(value);
  }
  return new Error(`Non-error thrown: ${text}`);
}

/** Anything not already classified is treated as transient: the poison queue bounds the retries. */
export function asWorkerError(value: unknown): WorkerError {
  if (value instanceof WorkerError) return value;
  const error = ensureError(value);
  return new TransientError('internal_error', error.message, { cause: error });
}
