/**
 * The job message: what `enqueueUpload` writes and `processJob` reads. Messages are untrusted input
 * (anyone with queue access can write one), so they are parsed strictly and never followed as URLs.
 *
 * There is no top-level `id`, `dequeueCount` or `popReceipt`: the Functions host merges body fields into
 * trigger metadata, where they would shadow the real ones. A poison copy is a new message with a new id,
 * so a job's identity is container + blob + ETag.
 */
import { z } from 'zod';
import { PermanentError } from '../errors.js';
import { blobNameProblem } from './blobNameRules.js';
import { PROFILE_NAME_PATTERN } from '../profiles/types.js';

/** Far above a real job (a few hundred bytes); a bigger message is not ours. */
export const MAX_MESSAGE_CHARS = 4096;
/** A blob name in the input container that the worker and the storage service can use: never a URL, never a path that climbs out of it. */
export const blobName = z.string().superRefine((name, context) => {
  const problem = blobNameProblem(name);
  if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
});

/** The most deferrals a job message may carry: the upper bound of the MAX_RATE_LIMIT_DEFERRALS setting. */
export const DEFERRALS_LIMIT = 1000;

export const jobMessageSchema = z.strictObject({
  v: z.literal(1),
  container: z.string().min(3).max(63),
  blob: blobName,
  etag: z.string().min(1).max(128),
  contentLength: z.number().int().min(0),
  profile: z.string().regex(PROFILE_NAME_PATTERN, 'must be a profile name (lowercase letters, digits, - and _)').optional(),
  /** How often the job was put back on the queue because the model was rate limiting (absent: never). */
  deferrals: z.number().int().min(1).max(DEFERRALS_LIMIT).optional(),
});

export type JobMessage = z.infer<typeof jobMessageSchema>;

/** A rejected message, or an upload whose name the worker cannot use, with what is safe to keep of it for the failure record. */
export class InvalidMessageError extends PermanentError {
  /** What the record's path is derived from: the whole text, so two messages that differ late get two records. */
  readonly key: string;
  readonly excerpt: string;

  constructor(
    message: string,
    text: string,
    readonly upload?: { container: string; blob: string },
  ) {
    const excerpt = text.length > 512 ? `${text.slice(0, 512)}…` : text;
    super(upload === undefined ? 'invalid_message' : 'invalid_blob_name', message, { details: { excerpt } });
    this.key = upload === undefined ? text : `${upload.container}/${upload.blob}`;
    this.excerpt = excerpt;
  }
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
    throw new InvalidMessageError(`job message is ${text.length} characters; a job message has at most ${MAX_MESSAGE_CHARS}`, text);
  }
  let value: unknown = raw;
  if (typeof raw === 'string' || Buffer.isBuffer(raw)) {
    try {
      value = JSON.parse(text);
    } catch {
      throw new InvalidMessageError(
        `job message is not JSON; expected {"v":1,"container","blob","etag","contentLength"}, received ${shown(text)}`,
        text,
      );
    }
  }
  const parsed = jobMessageSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => describeIssue(issue, value)).join('; ');
    throw new InvalidMessageError(`job message is invalid: ${problems}`, text);
  }
  if (parsed.data.container !== inputContainer) {
    throw new InvalidMessageError(
      `job message names container "${parsed.data.container}"; this worker only reads "${inputContainer}"`,
      text,
    );
  }
  return parsed.data;
}

export function serializeJobMessage(job: JobMessage): string {
  return JSON.stringify(job);
}
