/**
 * Queue depth as the worker measures it itself: the storage QueueMessageCount metric is account-wide
 * and hourly, too coarse to alert on a backlog.
 */
import type { QueueClient } from '@azure/storage-queue';

export interface QueueFigures {
  queue: string;
  /** `approximateMessagesCount`: visible, leased and delayed messages alike. */
  depth: number;
  /**
   * Age of the message at the front of the queue (peeked, so leased and delayed messages are not seen);
   * null when no message is visible.
   */
  oldestAgeSeconds: number | null;
}

export async function measureQueue(queue: QueueClient, now: Date, abortSignal?: AbortSignal): Promise<QueueFigures> {
  const options = abortSignal === undefined ? {} : { abortSignal };
  const [properties, peeked] = await Promise.all([queue.getProperties(options), queue.peekMessages({ ...options, numberOfMessages: 1 })]);
  const insertedOn = peeked.peekedMessageItems[0]?.insertedOn;
  return {
    queue: queue.name,
    depth: properties.approximateMessagesCount ?? 0,
    oldestAgeSeconds: insertedOn === undefined ? null : Math.max(0, Math.round((now.getTime() - insertedOn.getTime()) / 1000)),
  };
}
