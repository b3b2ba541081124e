/** Small helpers for tests that drive real queues and containers on the run's Azurite. */
import { randomBytes } from 'node:crypto';
import type { QueueClient } from '@azure/storage-queue';

/** A storage name no other test uses (lowercase, 3-63 characters). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` returns a value other than undefined/false, or fails naming what it waited for. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Messages on the queue, visible or not (0 for a queue that does not exist). */
export async function messageCount(queue: QueueClient): Promise<number> {
  if (!(await queue.exists())) return 0;
  return (await queue.getProperties()).approximateMessagesCount ?? 0;
}

/** Waits until the queue holds no message, visible or not: the host deletes a message only after its handler returns. */
export function waitForEmpty(queue: QueueClient, timeoutMs?: number): Promise<true> {
  return waitFor(`queue ${queue.name} to be empty`, async () => (await messageCount(queue)) === 0, timeoutMs);
}

/** The text of the visible messages (up to 32), without changing their visibility. */
export async function peekTexts(queue: QueueClient): Promise<string[]> {
  if (!(await queue.exists())) return [];
  const response = await queue.peekMessages({ numberOfMessages: 32 });
  return response.peekedMessageItems.map((message) => message.messageText);
}
