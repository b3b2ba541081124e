/**
 * The local queue trigger against a real queue on Azurite: batching and concurrency, completion,
 * release and poisoning, decoding, leases and draining, as host.json declares them.
 */
import { QueueClient, QueueServiceClient, type QueueReceiveMessageOptions, type QueueReceiveMessageResponse } from '@azure/storage-queue';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { encodeMessage, type QueueSettings } from '../../src/hostSettings.js';
import { silentLogger } from '../../src/log.js';
import { QueueTrigger, type QueueHandlerInput, type QueueTriggerOptions } from '../../src/local/queueTrigger.js';
import { messageCount, peekTexts, sleep, uniqueName, waitFor, waitForEmpty } from '../support/storage.js';

const connectionString = inject('storageConnectionString');
const service = QueueServiceClient.fromConnectionString(connectionString);

const BASE: QueueSettings = {
  maxDequeueCount: 5,
  visibilityTimeoutMs: 0,
  batchSize: 4,
  newBatchThreshold: 2,
  maxPollingIntervalMs: 200,
  messageEncoding: 'none',
};

interface ReceiveCall {
  requested: number | undefined;
  received: number;
  /** Handlers running when the trigger asked for more. */
  activeAtCall: number;
}

/** A real queue client that also notes each receive the trigger makes. */
class RecordingQueue extends QueueClient {
  readonly receives: ReceiveCall[] = [];
  trigger: QueueTrigger | undefined;

  override async receiveMessages(options?: QueueReceiveMessageOptions): Promise<QueueReceiveMessageResponse> {
    const activeAtCall = this.trigger?.activeCount ?? 0;
    const response = await super.receiveMessages(options);
    this.receives.push({ requested: options?.numberOfMessages, received: response.receivedMessageItems.length, activeAtCall });
    return response;
  }
}

const running: QueueTrigger[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((trigger) => trigger.stop()));
});

async function freshQueue(): Promise<{ name: string; queue: RecordingQueue; poison: QueueClient }> {
  const name = uniqueName('qt');
  const queue = new RecordingQueue(connectionString, name);
  await queue.create();
  return { name, queue, poison: service.getQueueClient(`${name}-poison`) };
}

function startTrigger(
  queue: RecordingQueue,
  poison: QueueClient,
  handler: QueueTriggerOptions['handler'],
  settings: Partial<QueueSettings> = {},
  leaseMs = 30_000,
): QueueTrigger {
  const trigger = new QueueTrigger({
    queue,
    poison,
    settings: { ...BASE, ...settings },
    handler,
    logger: silentLogger,
    leaseMs,
    minPollMs: 20,
  });
  queue.trigger = trigger;
  trigger.start();
  running.push(trigger);
  return trigger;
}

describe('QueueTrigger batching', () => {
  it('receives batches of batchSize and runs at most batchSize + newBatchThreshold handlers at once', async () => {
    const { queue, poison } = await freshQueue();
    const total = 20;
    // Staggered durations so that part of a batch finishes while the rest still runs.
    for (let i = 0; i < total; i++) await queue.sendMessage(JSON.stringify({ i, ms: 150 + (i % 4) * 250 }));
    let active = 0;
    let maxActive = 0;
    const done = new Set<number>();
    startTrigger(queue, poison, async ({ item }) => {
      const { i, ms } = item as { i: number; ms: number };
      active++;
      maxActive = Math.max(maxActive, active);
      await sleep(ms);
      active--;
      done.add(i);
    });

    await waitFor('all messages handled', () => done.size === total, 20_000);
    await waitForEmpty(queue);

    expect(maxActive).toBe(BASE.batchSize + BASE.newBatchThreshold);
    const receivedAny = queue.receives.filter((call) => call.received > 0);
    expect(receivedAny.length).toBeGreaterThanOrEqual(Math.ceil(total / BASE.batchSize));
    for (const call of queue.receives) {
      expect(call.requested).toBe(BASE.batchSize);
      expect(call.received).toBeLessThanOrEqual(BASE.batchSize);
      // A new batch is fetched only once in-flight work is down to newBatchThreshold.
      expect(call.activeAtCall).toBeLessThanOrEqual(BASE.newBatchThreshold);
    }
    expect(queue.receives.reduce((sum, call) => sum + call.received, 0)).toBe(total);
  });
});

describe('QueueTrigger completion', () => {
  it('deletes a message whose handler returns', async () => {
    const { queue, poison } = await freshQueue();
    const sent = await queue.sendMessage('{"ok":true}');
    const seen: string[] = [];
    startTrigger(queue, poison, ({ triggerMetadata }) => {
      seen.push(String(triggerMetadata['id']));
      return Promise.resolve();
    });
    await waitFor('the handler to run', () => seen.length === 1);
    await waitForEmpty(queue);
    expect(seen).toEqual([sent.messageId]);
    expect(await poison.exists()).toBe(false);
  });

  it('releases a failed message for visibilityTimeout, counts each delivery, and poisons it after maxDequeueCount', async () => {
    const { name, queue, poison } = await freshQueue();
    const text = encodeMessage('{"job":"always fails"}', 'base64');
    const sent = await queue.sendMessage(text);
    const attempts: { dequeueCount: unknown; id: unknown; at: number }[] = [];
    startTrigger(
      queue,
      poison,
      ({ triggerMetadata }) => {
        attempts.push({ dequeueCount: triggerMetadata['dequeueCount'], id: triggerMetadata['id'], at: Date.now() });
        return Promise.reject(new Error('boom'));
      },
      { maxDequeueCount: 3, visibilityTimeoutMs: 1_000, messageEncoding: 'base64' },
    );

    // Released, not deleted: after the first failure the message is still there but invisible for a while.
    await waitFor('the first attempt', () => attempts.length === 1);
    await sleep(300);
    expect(await messageCount(queue)).toBe(1);
    expect(await peekTexts(queue)).toEqual([]);

    const poisoned = await waitFor('the poison copy', async () => {
      const texts = await peekTexts(poison);
      return texts.length > 0 ? texts : undefined;
    });
    expect(poison.name).toBe(`${name}-poison`);
    expect(poisoned).toEqual([text]);
    expect(attempts.map((a) => a.dequeueCount)).toEqual([1, 2, 3]);
    expect(new Set(attempts.map((a) => a.id))).toEqual(new Set([sent.messageId]));
    for (let i = 1; i < attempts.length; i++) {
      const gap = (attempts[i]?.at ?? 0) - (attempts[i - 1]?.at ?? 0);
      expect(gap).toBeGreaterThanOrEqual(900);
      expect(gap).toBeLessThan(4_000);
    }
    await waitForEmpty(queue);
    await sleep(500);
    expect(attempts).toHaveLength(3);
  });

  it('poisons a message that arrives past maxDequeueCount without running the handler', async () => {
    const { queue, poison } = await freshQueue();
    const text = '{"job":"already tried elsewhere"}';
    await queue.sendMessage(text);
    // Another consumer received it maxDequeueCount times and never completed it.
    for (let i = 1; i <= 2; i++) {
      const { receivedMessageItems } = await queue.receiveMessages({ visibilityTimeout: 1 });
      const [message] = receivedMessageItems;
      expect(message?.dequeueCount).toBe(i);
      if (message !== undefined) await queue.updateMessage(message.messageId, message.popReceipt, undefined, 0);
    }
    let calls = 0;
    startTrigger(
      queue,
      poison,
      () => {
        calls++;
        return Promise.resolve();
      },
      { maxDequeueCount: 2 },
    );
    const poisoned = await waitFor('the poison copy', async () => {
      const texts = await peekTexts(poison);
      return texts.length > 0 ? texts : undefined;
    });
    expect(poisoned).toEqual([text]);
    await waitForEmpty(queue);
    expect(calls).toBe(0);
  });
});

describe('QueueTrigger decoding and trigger metadata', () => {
  async function deliver(settings: Partial<QueueSettings>, texts: string[]): Promise<Map<string, QueueHandlerInput>> {
    const { queue, poison } = await freshQueue();
    const ids = new Map<string, string>();
    for (const text of texts) ids.set((await queue.sendMessage(text)).messageId, text);
    const inputs = new Map<string, QueueHandlerInput>();
    startTrigger(
      queue,
      poison,
      (input) => {
        inputs.set(ids.get(String(input.triggerMetadata['id'])) ?? 'unknown id', input);
        return Promise.resolve();
      },
      settings,
    );
    await waitFor('every message handled', () => inputs.size === texts.length);
    return inputs;
  }

  it('hands JSON text over parsed, other text as a string, with the message id and dequeue count', async () => {
    const json = '{"v":1,"nested":{"list":[1,"two"]}}';
    const inputs = await deliver({ messageEncoding: 'none' }, [json, 'not json at all', '42', '"quoted"']);

    expect(inputs.get(json)?.item).toEqual({ v: 1, nested: { list: [1, 'two'] } });
    expect(inputs.get('not json at all')?.item).toBe('not json at all');
    expect(inputs.get('42')?.item).toBe(42);
    expect(inputs.get('"quoted"')?.item).toBe('quoted');
    for (const [text, input] of inputs) {
      expect(input.triggerMetadata['dequeueCount']).toBe(1);
      expect(input.triggerMetadata['queueTrigger']).toBe(text);
      expect(typeof input.triggerMetadata['id']).toBe('string');
      expect(input.invocationId).toMatch(/^[0-9a-f-]{36}$/);
    }
    const ids = [...inputs.values()].map((input) => input.triggerMetadata['id']);
    expect(new Set(ids).size).toBe(4);
    expect(new Set([...inputs.values()].map((input) => input.invocationId)).size).toBe(4);
  });

  it('decodes base64 message text when host.json says base64', async () => {
    const json = '{"blob":"ünïcödé/✓.png"}';
    // Line-wrapped base64 (as `base64` tools write it) decodes too: .NET ignores the whitespace.
    const wrapped = encodeMessage('{"wrapped":true}', 'base64').replace(/(.{8})/g, '$1\n');
    const inputs = await deliver({ messageEncoding: 'base64' }, [
      encodeMessage(json, 'base64'),
      encodeMessage('plain words', 'base64'),
      wrapped,
    ]);
    const parsed = inputs.get(encodeMessage(json, 'base64'));
    expect(parsed?.item).toEqual({ blob: 'ünïcödé/✓.png' });
    expect(parsed?.triggerMetadata['queueTrigger']).toBe(json);
    expect(inputs.get(encodeMessage('plain words', 'base64'))?.item).toBe('plain words');
    expect(inputs.get(wrapped)?.item).toEqual({ wrapped: true });
  });

  it('leaves base64 text alone when host.json says none', async () => {
    const encoded = encodeMessage('{"a":1}', 'base64');
    const inputs = await deliver({ messageEncoding: 'none' }, [encoded]);
    expect(inputs.get(encoded)?.item).toBe(encoded);
  });

  it('poisons, without running the handler, message text that is not base64 when host.json says base64', async () => {
    // The Functions host cannot decode these and moves them to the poison queue as they are.
    const { queue, poison } = await freshQueue();
    const notBase64 = ['{"v":1,"container":"up","blob":"a.png"}', 'hello', 'abc=def='];
    for (const text of notBase64) await queue.sendMessage(text);
    const handled: unknown[] = [];
    startTrigger(
      queue,
      poison,
      ({ item }) => {
        handled.push(item);
        return Promise.resolve();
      },
      { messageEncoding: 'base64' },
    );
    const poisoned = await waitFor('the poison copies', async () => {
      const texts = await peekTexts(poison);
      return texts.length === notBase64.length ? texts : undefined;
    });
    expect(poisoned.sort()).toEqual([...notBase64].sort());
    await waitForEmpty(queue);
    expect(handled).toEqual([]);
  });
});

describe('QueueTrigger lease and shutdown', () => {
  it('keeps a long-running message invisible to other receivers by renewing its lease', async () => {
    const { queue, poison } = await freshQueue();
    await queue.sendMessage('{"long":true}');
    let finished = false;
    let started = false;
    startTrigger(
      queue,
      poison,
      async () => {
        started = true;
        await sleep(5_000);
        finished = true;
      },
      {},
      2_000,
    );
    await waitFor('the handler to start', () => started);
    const other = service.getQueueClient(queue.name);
    let stolen = 0;
    while (!finished) {
      const { receivedMessageItems } = await other.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 1 });
      stolen += receivedMessageItems.length;
      await sleep(250);
    }
    expect(stolen).toBe(0);
    // Completion uses the renewed pop receipt, so the delete succeeds.
    await waitForEmpty(queue);
  });

  it('stop() waits for running handlers, completes their messages and takes no new ones', async () => {
    const { queue, poison } = await freshQueue();
    for (let i = 0; i < 3; i++) await queue.sendMessage(JSON.stringify({ i }));
    const started: number[] = [];
    const finished: number[] = [];
    const trigger = startTrigger(
      queue,
      poison,
      async ({ item }) => {
        const { i } = item as { i: number };
        started.push(i);
        await sleep(1_500);
        finished.push(i);
      },
      { batchSize: 1, newBatchThreshold: 0 },
    );
    await waitFor('the first handler to start', () => started.length === 1);
    const stopStarted = Date.now();
    await trigger.stop();
    const stopMs = Date.now() - stopStarted;

    expect(finished).toEqual(started);
    expect(started).toHaveLength(1);
    expect(stopMs).toBeGreaterThan(500);
    expect(trigger.activeCount).toBe(0);
    // The drained message was deleted; the two never started are still there, visible to the next host.
    await waitFor('the untouched messages to be visible', async () => (await peekTexts(queue)).length === 2);
    expect(await messageCount(queue)).toBe(2);
    const left = (await peekTexts(queue)).map((text) => (JSON.parse(text) as { i: number }).i);
    expect(left).not.toContain(started[0]);
  });
});
