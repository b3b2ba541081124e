/**
 * What the hosts leave where nothing else reads it, taken back on a timer so that every upload still
 * ends with one record: a message the poison handler itself failed on (the Functions host moves it on to
 * `<poison queue>-poison`) gets its final record, and a BlobCreated event Event Grid dead-lettered
 * (enqueueing kept failing) becomes the upload's job. What cannot be taken now stays for the next sweep
 * and is counted in the ops figures.
 */
import type { ContainerClient } from '@azure/storage-blob';
import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';
import type { Names } from '../config.js';
import { blobOfSubject } from '../blobEvents.js';
import { ensureError } from '../errors.js';
import { BLOB_CREATED_SUBSCRIPTION, poisonQueueName } from '../names.js';
import type { StorageClients } from '../storage/clients.js';
import { readBlob } from '../storage/readBlob.js';
import { isStatus } from '../storage/storageErrors.js';
import { jobForUpload } from './jobForUpload.js';
import { InvalidMessageError } from '../contracts/jobMessage.js';
import { recordInvalidMessage } from './jobRecords.js';
import { recordPoisonedJob } from './recordPoisonedJob.js';
import type { JobServices } from './jobServices.js';

export interface StrandedWork {
  /** `<jobs>-poison-poison`: where the host moves a poison message whose handler kept failing. */
  poisonOfPoison: QueueClient;
  /** Event Grid's dead letters of the BlobCreated subscription. */
  deadLetters: ContainerClient;
}

export interface SweepOutcome {
  /** Stranded messages that now have their final record. */
  recorded: number;
  /** Dead-lettered uploads whose job is now on the jobs queue (or whose record is written). */
  enqueued: number;
  /** What failed this time and waits for the next sweep. */
  left: number;
}

/** A sweep is one timer invocation: bounded, the rest waits for the next one. */
const MAX_ITEMS_PER_SWEEP = 256;
/** Event Grid writes one event per dead-letter blob (a few KB); anything far bigger is not one of its. */
const MAX_DEAD_LETTER_BYTES = 1024 * 1024;
/** While a message is being recorded it stays hidden; a crash returns it after this. */
const LEASE_SECONDS = 120;

/** Event Grid names dead letters `<SUBSCRIPTION NAME>/<year>/<month>/<day>/<hour>/<id>.json`. */
export function deadLetterPrefix(): string {
  return `${BLOB_CREATED_SUBSCRIPTION.name.toUpperCase()}/`;
}

export function strandedWork(storage: StorageClients, names: Names): StrandedWork {
  return {
    poisonOfPoison: storage.queues.getQueueClient(poisonQueueName(names.poisonQueue)),
    deadLetters: storage.blobs.getContainerClient(names.deadLetterContainer),
  };
}

export async function sweepStranded(services: JobServices, stranded: StrandedWork, maxDequeueCount: number): Promise<SweepOutcome> {
  const outcome: SweepOutcome = { recorded: 0, enqueued: 0, left: 0 };
  await sweepPoisonOfPoison(services, stranded.poisonOfPoison, maxDequeueCount, outcome);
  await sweepDeadLetters(services, stranded.deadLetters, outcome);
  if (outcome.recorded + outcome.enqueued + outcome.left > 0) services.logger.info('stranded.swept', { ...outcome });
  return outcome;
}

async function sweepPoisonOfPoison(
  services: JobServices,
  queue: QueueClient,
  maxDequeueCount: number,
  outcome: SweepOutcome,
): Promise<void> {
  for (let taken = 0; taken < MAX_ITEMS_PER_SWEEP;) {
    let messages: DequeuedMessageItem[];
    try {
      messages = (await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: LEASE_SECONDS })).receivedMessageItems;
    } catch (error) {
      if (isStatus(error, 404)) return; // The host creates the queue only when it first needs it.
      throw error;
    }
    if (messages.length === 0) return;
    taken += messages.length;
    for (const message of messages) {
      try {
        await recordStrandedMessage(services, message, maxDequeueCount);
        await queue.deleteMessage(message.messageId, message.popReceipt);
        outcome.recorded++;
      } catch (error) {
        outcome.left++;
        services.logger.error('stranded.message_failed', {
          messageId: message.messageId,
          sweeps: message.dequeueCount,
          message: ensureError(error).message,
        });
      }
    }
  }
}

async function recordStrandedMessage(services: JobServices, message: DequeuedMessageItem, maxDequeueCount: number): Promise<void> {
  // The host copies text it could not decode as it is, so only base64 text is decoded.
  const text = services.jobs.decode(message.messageText);
  const delivery = { dequeueCount: message.dequeueCount, messageId: message.messageId };
  try {
    await recordPoisonedJob(services, text, delivery, maxDequeueCount);
  } catch (error) {
    // The sweep is the last stop: after as many sweeps as the queue gives a job, the record says only what is known.
    if (message.dequeueCount < maxDequeueCount) throw error;
    const reason = new InvalidMessageError(
      `stranded job message: recording it failed in ${message.dequeueCount} sweeps, the last with: ${ensureError(error).message}`,
      text,
    );
    await recordInvalidMessage(services, reason, delivery, services.now());
  }
}

async function sweepDeadLetters(services: JobServices, deadLetters: ContainerClient, outcome: SweepOutcome): Promise<void> {
  let taken = 0;
  try {
    for await (const item of deadLetters.listBlobsFlat({ prefix: deadLetterPrefix() })) {
      if (taken++ >= MAX_ITEMS_PER_SWEEP) return;
      try {
        if (await takeDeadLetter(services, deadLetters, item.name, item.properties.contentLength ?? 0)) outcome.enqueued++;
      } catch (error) {
        outcome.left++;
        services.logger.error('stranded.dead_letter_failed', { deadLetter: item.name, message: ensureError(error).message });
      }
    }
  } catch (error) {
    if (!isStatus(error, 404)) throw error; // No container: nothing was ever dead-lettered.
  }
}

/**
 * Enqueues each upload the dead letter names as enqueueUpload would have, then deletes it; false when it
 * names no upload of this worker's input container (another deployment's, left to it).
 */
async function takeDeadLetter(services: JobServices, deadLetters: ContainerClient, name: string, size: number): Promise<boolean> {
  if (size > MAX_DEAD_LETTER_BYTES) throw new Error(`${size} bytes; an Event Grid dead letter is at most ${MAX_DEAD_LETTER_BYTES}`);
  const client = deadLetters.getBlobClient(name);
  const read = await readBlob(client);
  if (read === undefined) return false;
  const container = services.config.names.inputContainer;
  const uploads = deadLetterEvents(read.bytes.toString('utf8')).flatMap((event) => {
    const target = event.eventType === BLOB_CREATED_SUBSCRIPTION.eventType ? blobOfSubject(event.subject) : undefined;
    return target?.container === container ? [target.blob] : [];
  });
  if (uploads.length === 0) return false;
  for (const blob of uploads) {
    const job = await jobForUpload(services, blob);
    if (job !== undefined) await services.jobs.send(job);
    services.logger.info('stranded.upload_enqueued', { deadLetter: name, blob, job: job !== undefined });
  }
  await client.delete({ conditions: { ifMatch: read.etag } });
  return true;
}

interface DeadLetteredEvent {
  eventType: string;
  subject: string;
}

/** Event Grid writes a JSON array of events; anything else is left where it is, and counted. */
function deadLetterEvents(text: string): DeadLetteredEvent[] {
  const value = JSON.parse(text) as unknown;
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  return list.map((event, index) => {
    if (typeof event !== 'object' || event === null) throw new Error(`event ${index} is not an object`);
    const { eventType, subject } = event as Record<string, unknown>;
    if (typeof eventType !== 'string' || typeof subject !== 'string') throw new Error(`event ${index} has no eventType and subject`);
    return { eventType, subject };
  });
}
