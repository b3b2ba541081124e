/**
 * `submit --wait`: waits for every upload's final record for as long as a worker keeps taking jobs, with
 * progress on the way, and stops early, saying so, when nothing takes them. A timeout is a cap only when given.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { QueueClient } from '@azure/storage-queue';
import { measureQueue, type QueueFigures } from '../ops/queueFigures.js';
import type { ResultStore } from '../storage/resultStore.js';
import { resultPath } from '../contracts/blobPaths.js';
import { isStatus } from '../storage/storageErrors.js';

/** Long enough for the BlobCreated events to enqueue the uploads and for a slow job to finish on a small machine. */
export const STALL_MS = 60_000;
const POLL_MS = 1000;
const PROGRESS_EVERY_MS = 5000;

export interface WaitOptions {
  results: ResultStore;
  /** The jobs queue the worker takes uploads from. */
  queue: QueueClient;
  /** Blob name -> ETag of the upload whose record is awaited. */
  etags: ReadonlyMap<string, string>;
  print: (line: string) => void;
  timeoutMs?: number;
  stallMs?: number;
  pollMs?: number;
}

export interface WaitOutcome {
  succeeded: number;
  failed: number;
  pending: number;
  ended: 'done' | 'timed out' | 'no worker';
}

export interface Tally {
  total: number;
  done: number;
  /** Jobs on the queue, these uploads' and any others'. */
  queued: number;
  elapsedMs: number;
}

export function progressLine({ total, done, queued, elapsedMs }: Tally): string {
  const waiting = total - done;
  const line = `${done} of ${total} done, ${waiting} waiting (${queued} on the queue)`;
  const rate = done / (elapsedMs / 1000);
  if (done === 0 || !Number.isFinite(rate)) return line;
  return `${line}, ~${Math.ceil(waiting / rate)} s left at ${rate.toFixed(1)} files/s`;
}

/**
 * Signs that a worker runs: a record arrived, the queue changed, or every job on it is held (leased by a
 * worker, or delayed after a rate limit) rather than waiting to be taken.
 */
export function workerActive(before: QueueFigures | undefined, after: QueueFigures, arrived: number): boolean {
  return arrived > 0 || (before !== undefined && before.depth !== after.depth) || (after.depth > 0 && after.oldestAgeSeconds === null);
}

/** The host creates the queue when it starts; until then it holds no jobs. */
async function measure(queue: QueueClient): Promise<QueueFigures> {
  try {
    return await measureQueue(queue, new Date());
  } catch (error) {
    if (isStatus(error, 404)) return { queue: queue.name, depth: 0, oldestAgeSeconds: null };
    throw error;
  }
}

export async function waitForResults(options: WaitOptions): Promise<WaitOutcome> {
  const { results, queue, etags, print, stallMs = STALL_MS, pollMs = POLL_MS } = options;
  const started = Date.now();
  const deadline = started + (options.timeoutMs ?? Infinity);
  const pending = new Set(etags.keys());
  const counts = { succeeded: 0, failed: 0 };
  let figures: QueueFigures | undefined;
  let lastActive = started;
  let lastPrinted = started;
  let ended: WaitOutcome['ended'] = 'done';
  while (pending.size > 0) {
    let arrived = 0;
    for (const blob of [...pending]) {
      const record = await results.read(resultPath(blob));
      if (record === undefined || record.source.etag !== etags.get(blob)) continue;
      pending.delete(blob);
      arrived += 1;
      counts[record.status] += 1;
      const detail =
        record.status === 'succeeded'
          ? `${record.profile}, ${record.timings.totalMs.toFixed(0)} ms`
          : `${record.error?.code}: ${record.error?.message}`;
      print(`  ${record.status === 'succeeded' ? 'ok  ' : 'FAIL'} ${blob} (${detail})`);
    }
    if (pending.size === 0) break;
    const measured = await measure(queue);
    const now = Date.now();
    if (workerActive(figures, measured, arrived)) lastActive = now;
    figures = measured;
    if (now - lastPrinted >= PROGRESS_EVERY_MS) {
      print(progressLine({ total: etags.size, done: etags.size - pending.size, queued: measured.depth, elapsedMs: now - started }));
      lastPrinted = now;
    }
    if (now >= deadline) {
      ended = 'timed out';
      break;
    }
    if (now - lastActive >= stallMs) {
      ended = 'no worker';
      print(
        `No worker is taking jobs from "${queue.name}": is \`npm start\` running? Nothing changed for ${Math.round(stallMs / 1000)} s ` +
          `with ${measured.depth} job(s) on the queue; they stay there, and \`npm run results\` shows their records once a worker has run them.`,
      );
      break;
    }
    await sleep(pollMs);
  }
  const waited = pending.size === 0 ? '' : `, ${pending.size} still pending after ${Math.round((Date.now() - started) / 1000)} s`;
  print(`${counts.succeeded} succeeded, ${counts.failed} failed${waited}.`);
  return { ...counts, pending: pending.size, ended };
}
