/** Helpers for tests that send job messages by hand and read what the worker logged and wrote. */
import type { ContainerClient } from '@azure/storage-blob';
import { loadConfig, type Env } from '../../src/config.js';
import { encodeMessage, hostSettings } from '../../src/hostSettings.js';
import type { JobMessage } from '../../src/contracts/jobMessage.js';
import { JobQueue } from '../../src/pipeline/jobQueue.js';
import { createOpenAiProvider } from '../../src/providers/openaiProvider.js';
import type { VisionProvider } from '../../src/providers/types.js';
import type { TestHost } from './testHost.js';

/** Sends message text as enqueueUpload's output binding does: in host.json's encoding. */
export async function sendText(t: TestHost, text: string): Promise<void> {
  await t.storage.queues.getQueueClient(t.config.names.jobsQueue).sendMessage(encodeMessage(text, hostSettings().queues.messageEncoding));
}

export function jobOf(t: TestHost, blob: string, etag: string, contentLength: number, extra: Partial<JobMessage> = {}): JobMessage {
  return { v: 1, container: t.config.names.inputContainer, blob, etag, contentLength, ...extra };
}

export const sendJob = (t: TestHost, job: JobMessage): Promise<void> =>
  new JobQueue(t.storage.queues.getQueueClient(t.config.names.jobsQueue), hostSettings().queues.messageEncoding).send(job);

export type LogEvent = Record<string, unknown> & { event: string };

/** The structured log lines with this event name (from startTestHost's `logs`). */
export function events(logs: readonly string[], event: string): LogEvent[] {
  return logs.map((line) => JSON.parse(line) as LogEvent).filter((entry) => entry.event === event);
}

/** Every blob name in a container (a results container holds one record per upload). */
export async function blobNames(container: ContainerClient, prefix = ''): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat({ prefix })) names.push(blob.name);
  return names;
}

/**
 * The openai provider alone, without the process's rate limiter that createProvider puts in front of it:
 * for tests about what the pipeline does with the model's answers, not about pacing the calls.
 */
export function directOpenAiProvider(env: Env): VisionProvider {
  const config = loadConfig(env);
  if (config.provider.kind === 'offline') throw new Error('directOpenAiProvider: the env configures no model endpoint');
  return createOpenAiProvider(config.provider, config.model);
}
