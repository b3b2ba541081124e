/**
 * The queue semantics host.json declares. The Functions host applies them in Azure; the local host and
 * the code that writes job messages read them from the same file so the two cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export type MessageEncoding = 'base64' | 'none';

export interface QueueSettings {
  maxDequeueCount: number;
  /** Delay before a failed message is visible again. */
  visibilityTimeoutMs: number;
  batchSize: number;
  newBatchThreshold: number;
  maxPollingIntervalMs: number;
  messageEncoding: MessageEncoding;
}

export interface HostSettings {
  functionTimeoutMs: number;
  queues: QueueSettings;
}

const TIMESPAN = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/;

/** host.json time spans are `[d.]hh:mm:ss[.fff]`. */
export function parseTimeSpan(value: string): number {
  const match = TIMESPAN.exec(value);
  if (match === null) throw new Error(`host.json: expected a time span like "00:00:30", got "${value}"`);
  const [, days = '0', hours = '0', minutes = '0', seconds = '0', millis = '0'] = match;
  // .NET's TimeSpan (which the Functions host uses) rejects these, so the local host must too.
  if (Number(hours) > 23 || Number(minutes) > 59 || Number(seconds) > 59) {
    throw new Error(`host.json: time span "${value}" is out of range (hours 0-23, minutes and seconds 0-59)`);
  }
  return (((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000 + Number(millis.padEnd(3, '0'));
}

const hostJsonSchema = z.object({
  functionTimeout: z.string().default('00:30:00'),
  extensions: z
    .object({
      queues: z
        .object({
          maxDequeueCount: z.number().int().min(1).default(5),
          visibilityTimeout: z.string().default('00:00:00'),
          batchSize: z.number().int().min(1).max(32).default(16),
          newBatchThreshold: z.number().int().min(0).optional(),
          maxPollingInterval: z.string().default('00:01:00'),
          messageEncoding: z.enum(['base64', 'none']).default('base64'),
        })
        .prefault({}),
    })
    .prefault({}),
});

export function parseHostSettings(json: unknown): HostSettings {
  const parsed = hostJsonSchema.parse(json);
  const queues = parsed.extensions.queues;
  return {
    functionTimeoutMs: parseTimeSpan(parsed.functionTimeout),
    queues: {
      maxDequeueCount: queues.maxDequeueCount,
      visibilityTimeoutMs: parseTimeSpan(queues.visibilityTimeout),
      batchSize: queues.batchSize,
      // The host's default: fetch a new batch once half of one is left.
      newBatchThreshold: queues.newBatchThreshold ?? Math.floor(queues.batchSize / 2),
      maxPollingIntervalMs: parseTimeSpan(queues.maxPollingInterval),
      messageEncoding: queues.messageEncoding,
    },
  };
}

export const HOST_JSON_PATH = fileURLToPath(new URL('../host.json', import.meta.url));

let cached: HostSettings | undefined;

export function hostSettings(): HostSettings {
  cached ??= parseHostSettings(JSON.parse(readFileSync(HOST_JSON_PATH, 'utf8')));
  return cached;
}

/** Queue message text as the Functions queue trigger expects it under `messageEncoding`. */
export function encodeMessage(text: string, encoding: MessageEncoding): string {
  return encoding === 'base64' ? Buffer.from(text, 'utf8').toString('base64') : text;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** What .NET's Convert.FromBase64String accepts: the base64 alphabet, whitespace ignored, whole 4-character groups. */
export function isBase64(text: string): boolean {
  const compact = text.replace(/[\t\n\r ]/g, '');
  return compact.length % 4 === 0 && BASE64.test(compact);
}

export function decodeMessage(text: string, encoding: MessageEncoding): string {
  return encoding === 'base64' ? Buffer.from(text, 'base64').toString('utf8') : text;
}
