/**
 * The queue trigger as the Functions Storage extension runs it: batches of `batchSize`, a new batch once
 * in-flight work drops to `newBatchThreshold`, each message leased while its handler runs, deleted when
 * the handler returns, made visible again after `visibilityTimeout` when it throws, and copied to
 * `<queue>-poison` once its dequeue count reaches `maxDequeueCount`. Under `messageEncoding: base64`, text
 * that is not base64 is poisoned without running, as the host does when decoding a message fails.
 */
import { randomUUID } from 'node:crypto';
import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';
import { decodeMessage, isBase64, type QueueSettings } from '../hostSettings.js';
import type { Logger } from '../log.js';

export interface QueueHandlerInput {
  /** What the Node worker hands a handler: JSON message text arrives parsed, other text as a string. */
  item: unknown;
  triggerMetadata: Record<string, unknown>;
  invocationId: string;
}

export interface QueueTriggerOptions {
  queue: QueueClient;
  poison: QueueClient;
  settings: QueueSettings;
  handler: (input: QueueHandlerInput) => Promise<void>;
  logger: Logger;
  /** How long a message stays invisible while its handler runs; renewed at half-life. */
  leaseMs: number;
  /** Polling starts here and doubles while the queue is empty, up to maxPollingInterval. */
  minPollMs?: number;
}

/** The Node worker parses JSON strings (and leaves other text as it is). */
function toHandlerItem(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export class QueueTrigger {
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: QueueTriggerOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops receiving and waits for the handlers that are running (their messages complete normally). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
  }

  get activeCount(): number {
    return this.inFlight.size;
  }

  private async run(): Promise<void> {
    const { settings, logger } = this.options;
    const minPoll = this.options.minPollMs ?? 100;
    let delay = minPoll;
    while (!this.stopping) {
      if (this.inFlight.size > settings.newBatchThreshold) {
        await Promise.race(this.inFlight);
        continue;
      }
      let received: DequeuedMessageItem[] = [];
      try {
        const response = await this.options.queue.receiveMessages({
          numberOfMessages: settings.batchSize,
          visibilityTimeout: Math.ceil(this.options.leaseMs / 1000),
        });
        received = response.receivedMessageItems;
      } catch (error) {
        logger.warn('host.queue_receive_failed', { queue: this.options.queue.name, message: (error as Error).message });
      }
      if (this.stopping) {
        // Received during shutdown: give them straight back rather than hold them for a whole lease.
        await Promise.allSettled(received.map((m) => this.options.queue.updateMessage(m.messageId, m.popReceipt, undefined, 0)));
        break;
      }
      for (const message of received) {
        // A message whose completion fails stays on the queue and is delivered again after its lease.
        const task = this.dispatch(message)
          .catch((error: Error) => logger.warn('host.completion_failed', { messageId: message.messageId, message: error.message }))
          .finally(() => this.inFlight.delete(task));
        this.inFlight.add(task);
      }
      delay = received.length > 0 ? minPoll : Math.min(delay * 2, settings.maxPollingIntervalMs);
      if (received.length === 0) await this.sleep(delay);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async dispatch(message: DequeuedMessageItem): Promise<void> {
    const { queue, settings, logger } = this.options;
    const log = logger.child({ queue: queue.name, messageId: message.messageId, dequeueCount: message.dequeueCount });
    if (message.dequeueCount > settings.maxDequeueCount) {
      await this.poison(message, log);
      return;
    }
    if (settings.messageEncoding === 'base64' && !isBase64(message.messageText)) {
      // The host's decoding-failed handler moves such a message to the poison queue as it is, unrun.
      log.warn('host.message_decoding_failed', { encoding: settings.messageEncoding });
      await this.poison(message, log);
      return;
    }
    const lease = new Lease(queue, message, this.options.leaseMs, log);
    const text = decodeMessage(message.messageText, settings.messageEncoding);
    let failure: Error | undefined;
    try {
      await this.options.handler({
        item: toHandlerItem(text),
        invocationId: randomUUID(),
        triggerMetadata: {
          id: message.messageId,
          dequeueCount: message.dequeueCount,
          insertionTime: message.insertedOn.toISOString(),
          expirationTime: message.expiresOn.toISOString(),
          nextVisibleTime: message.nextVisibleOn.toISOString(),
          queueTrigger: text,
        },
      });
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    } finally {
      await lease.stop();
    }
    if (failure === undefined) {
      await queue.deleteMessage(message.messageId, lease.popReceipt);
      return;
    }
    log.warn('host.invocation_failed', { message: failure.message });
    if (message.dequeueCount >= settings.maxDequeueCount) {
      await this.poison({ ...message, popReceipt: lease.popReceipt }, log);
    } else {
      await queue.updateMessage(message.messageId, lease.popReceipt, undefined, Math.ceil(settings.visibilityTimeoutMs / 1000));
    }
  }

  /** The host copies the message text as it is to the poison queue, then deletes the original. */
  private async poison(message: DequeuedMessageItem, log: Logger): Promise<void> {
    await this.options.poison.createIfNotExists();
    await this.options.poison.sendMessage(message.messageText);
    await this.options.queue.deleteMessage(message.messageId, message.popReceipt);
    log.warn('host.message_poisoned', { poisonQueue: this.options.poison.name });
  }
}

/** Keeps a running message invisible so no other receiver starts the same job. */
class Lease {
  popReceipt: string;
  private readonly timer: NodeJS.Timeout;
  private renewal: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly queue: QueueClient,
    private readonly message: DequeuedMessageItem,
    leaseMs: number,
    log: Logger,
  ) {
    this.popReceipt = message.popReceipt;
    this.timer = setInterval(() => {
      this.renewal = this.queue
        .updateMessage(this.message.messageId, this.popReceipt, undefined, Math.ceil(leaseMs / 1000))
        .then((response) => {
          if (response.popReceipt !== undefined) this.popReceipt = response.popReceipt;
        })
        .catch((error: Error) => log.warn('host.lease_renewal_failed', { message: error.message }));
    }, leaseMs / 2);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.renewal;
  }
}
