/**
 * Sends poisoned jobs back to the job queue once their cause is fixed (`npm run replay-poison`). Two
 * kinds exist: jobs `recordPoison` has recorded (their failure record is written and the job is parked
 * in the state container; the usual case, since recordPoison consumes the poison queue), and messages
 * still in `<jobs>-poison` because recordPoison has not run on them yet. Both go back in the encoding the
 * queue trigger reads. A replayed job that succeeds replaces its failure record; one that fails again is
 * poisoned and parked again.
 */
import type { QueueClient } from '@azure/storage-queue';
import type { Names } from '../config.js';
import { decodeMessage, type MessageEncoding } from '../hostSettings.js';
import { parseJobMessage, type JobMessage } from '../contracts/jobMessage.js';
import { JobQueue } from '../pipeline/jobQueue.js';
import { AttemptLog } from '../storage/attemptLog.js';
import type { StorageClients } from '../storage/clients.js';
import { PoisonedJobs } from '../storage/poisonedJobs.js';

export interface ReplayFilter {
  /** Only blobs whose name starts with this. */
  prefix?: string;
  /** Only jobs whose failure record (or, not yet recorded, last attempt) has this error code. */
  code?: string;
}

export interface ReplaySources {
  storage: StorageClients;
  names: Names;
  encoding: MessageEncoding;
}

export interface ReplayReport {
  /** Jobs recordPoison had recorded and parked. */
  recorded: { matched: number; moved: number; byCode: Record<string, number> };
  /** Messages taken from the poison queue before recordPoison saw them. */
  unrecorded: { matched: number; moved: number };
  dryRun: boolean;
}

/** Poison messages looked at per receive, and how long the ones left alone stay hidden meanwhile. */
const BATCH = 32;
const LOOK_SECONDS = 30;

const count = (tally: Record<string, number>, key: string): void => {
  tally[key] = (tally[key] ?? 0) + 1;
};

export async function replayPoisoned(sources: ReplaySources, filter: ReplayFilter = {}, dryRun = false): Promise<ReplayReport> {
  const { storage, names } = sources;
  const state = storage.blobs.getContainerClient(names.stateContainer);
  const jobs = storage.queues.getQueueClient(names.jobsQueue);
  const report: ReplayReport = { recorded: { matched: 0, moved: 0, byCode: {} }, unrecorded: { matched: 0, moved: 0 }, dryRun };
  const jobQueue = new JobQueue(jobs, sources.encoding);
  const send = (job: JobMessage): Promise<void> => jobQueue.send(job);

  const parked = new PoisonedJobs(state);
  for await (const entry of parked.list(filter.prefix)) {
    if (filter.code !== undefined && entry.code !== filter.code) continue;
    report.recorded.matched += 1;
    count(report.recorded.byCode, entry.code);
    if (dryRun) continue;
    const poisoned = await parked.read(entry);
    if (poisoned === undefined) continue;
    // Sent before the entry is removed: a crash in between sends the job twice, which the worker tolerates, never zero times.
    await send(poisoned.job);
    await parked.remove(entry);
    report.recorded.moved += 1;
  }

  const poison = storage.queues.getQueueClient(names.poisonQueue);
  if (await poison.exists()) {
    report.unrecorded = await movePoisonQueue(poison, jobs, new AttemptLog(state), sources, filter, dryRun);
  }
  return report;
}

/**
 * Moves the message text unchanged (it is already in the trigger's encoding). Each message is looked
 * at once: the loop ends when a receive comes back empty or it has seen as many as the queue held.
 */
async function movePoisonQueue(
  poison: QueueClient,
  jobs: QueueClient,
  attempts: AttemptLog,
  { names, encoding }: ReplaySources,
  filter: ReplayFilter,
  dryRun: boolean,
): Promise<ReplayReport['unrecorded']> {
  const tally = { matched: 0, moved: 0 };
  const filtered = filter.prefix !== undefined || filter.code !== undefined;
  const held = (await poison.getProperties()).approximateMessagesCount ?? 0;
  const seen: { messageId: string; popReceipt: string }[] = [];
  while (tally.moved + seen.length < held) {
    const { receivedMessageItems } = await poison.receiveMessages({ numberOfMessages: BATCH, visibilityTimeout: LOOK_SECONDS });
    if (receivedMessageItems.length === 0) break;
    for (const message of receivedMessageItems) {
      let matches = !filtered;
      if (filtered) {
        let job: JobMessage | undefined;
        try {
          job = parseJobMessage(decodeMessage(message.messageText, encoding), names.inputContainer);
        } catch {
          // Not a job: only an unfiltered replay takes it.
        }
        const code = job === undefined || filter.code === undefined ? undefined : (await attempts.read(job.blob, job.etag)).at(-1)?.code;
        matches =
          job !== undefined &&
          (filter.prefix === undefined || job.blob.startsWith(filter.prefix)) &&
          (filter.code === undefined || code === filter.code);
      }
      if (matches) tally.matched += 1;
      if (matches && !dryRun) {
        await jobs.sendMessage(message.messageText);
        await poison.deleteMessage(message.messageId, message.popReceipt);
        tally.moved += 1;
      } else {
        seen.push(message);
      }
    }
  }
  // What was only looked at is handed back at once, for recordPoison or the next replay.
  await Promise.all(seen.map((message) => poison.updateMessage(message.messageId, message.popReceipt, undefined, 0)));
  return tally;
}
