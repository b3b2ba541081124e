/**
 * The job message: what `enqueueUpload` writes and `analyzeImage` reads. Messages are untrusted input
 * (anyone with queue access can write one), so they are parsed strictly and never followed as URLs.
 *
 * There is no top-level `id`, `dequeueCount` or `popReceipt`: the Functions host merges body fields into
 * trigger metadata, where they would shadow the real ones. A poison copy is a new message with a new id,
 * so a job's identity is container + blob + ETag.
 */
import { z } from 'zod';
import { PermanentError } from '../errors.js';
import { PROFILE_NAME_PATTERN } from '../profiles/types.js';

/** Far above a real job (a few hundred bytes); a bigger message is not ours. */
export const MAX_MESSAGE_CHARS = 4096;
const MAX_BLOB_NAME = 1024;

/** A blob name in the input container: never a URL, never a path that climbs out of it. */
export const blobName = z
  .string()
  .min(1)
  .max(MAX_BLOB_NAME)
  .refine((name) => ![...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f || c === '\\'), 'must not contain control characters or backslashes')
  .refine((name) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(name), 'must be a blob name, not a URL')
  .refine((name) => !name.startsWith('/') && !name.endsWith('/'), 'must not start or end with "/"')
  .refine(
    (name) => name.split('/').every((segment) => segment !== '.' && segment !== '..' && segment !== ''),
    'must not contain empty, "." or ".." path segments',
  );

/** The most deferrals a job message may carry: the upper bound of the MAX_RATE_LIMIT_DEFERRALS setting. */
export const DEFERRALS_LIMIT = 1000;

export const jobMessageSchema = z.strictObject({
  v: z.literal(1),
  container: z.string().min(3).max(63),
  blob: blobName,
  etag: z.string().min(1).max(128),
  contentLength: z.number().int().min(0),
  profile: z
    .string()
    .regex(PROFILE_NAME_PATTERN, 'must be a profile name (lowercase letters, digits, - and _)')
    .optional(),
  /** How often the job was put back on the queue because the model was rate limiting (absent: never). */
  deferrals: z.number().int().min(1).max(DEFERRALS_LIMIT).optional(),
});

export type JobMessage = z.infer<typeof jobMessageSchema>;

/** A rejected message, with what is safe to keep of it for the failure record. */
export class InvalidMessageError extends PermanentError {
  constructor(
    message: string,
    readonly excerpt: string,
  ) {
    super('invalid_message', message, { details: { excerpt } });
  }
}

function excerptOf(text: string): string {
  return text.length > 512 ? `${text.slice(0, 512)}…` : text;
}

const FIELDS = Object.keys(jobMessageSchema.shape).join(', ');

/** A received value as safe, short text (JSON escapes control characters). */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (at, key) => (typeof at === 'object' && at !== null ? (at as Record<PropertyKey, unknown>)[key] : undefined),
    value,
  );
}

/** Each problem says where, what was expected and what was received. */
function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  const where = issue.path.map(String).join('.') || '(message)';
  if (issue.code === 'unrecognized_keys') {
    return `${where}: unexpected ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}; a job message has only ${FIELDS}`;
  }
  if (issue.message.includes('received')) return `${where}: ${issue.message}`;
  return `${where}: ${issue.message}, received ${shown(valueAt(value, issue.path))}`;
}

/**
 * Accepts what a queue trigger hands over: the Functions host passes JSON message text already parsed,
 * other text as a string, and binary as a Buffer.
 */
export function parseJobMessage(raw: unknown, inputContainer: string): JobMessage {
  const text = typeof raw === 'string' ? raw : Buffer.isBuffer(raw) ? raw.toString('utf8') : (JSON.stringify(raw) ?? String(raw));
  if (text.length > MAX_MESSAGE_CHARS) {
    throw new InvalidMessageError(
      `job message is ${text.length} characters; a job message has at most ${MAX_MESSAGE_CHARS}`,
      excerptOf(text),
    );
  }
  let value: unknown = raw;
  if (typeof raw === 'string' || Buffer.isBuffer(raw)) {
    try {
      value = JSON.parse(text);
    } catch {
      throw new InvalidMessageError(
        `job message is not JSON; expected {"v":1,"container","blob","etag","contentLength"}, received ${shown(text)}`,
        excerptOf(text),
      );
    }
  }
  const parsed = jobMessageSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => describeIssue(issue, value)).join('; ');
    throw new InvalidMessageError(`job message is invalid: ${problems}`, excerptOf(text));
  }
  if (parsed.data.container !== inputContainer) {
    throw new InvalidMessageError(
      `job message names container "${parsed.data.container}"; this worker only reads "${inputContainer}"`,
      excerptOf(text),
    );
  }
  return parsed.data;
}

export function serializeJobMessage(job: JobMessage): string {
  return JSON.stringify(job);
}
