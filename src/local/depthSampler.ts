/**
 * Samples the jobs and poison queue depths every interval into a DepthHistory, for the ops page's chart.
 * Only `approximateMessagesCount` is read: one request per queue per sample.
 */
import type { Names } from '../config.js';
import type { Logger } from '../log.js';
import { DepthHistory } from '../ops/depthHistory.js';
import type { StorageClients } from '../storage/clients.js';

export interface DepthSamplerOptions {
  storage: StorageClients;
  names: Names;
  logger: Logger;
  intervalMs: number;
  capacity: number;
  now?: () => Date;
}

export interface DepthSampler {
  history: DepthHistory;
  /** Stops sampling and waits for a sample in flight, so none outlives the storage it reads. */
  stop(): Promise<void>;
}

export function startDepthSampler({
  storage,
  names,
  logger,
  intervalMs,
  capacity,
  now = () => new Date(),
}: DepthSamplerOptions): DepthSampler {
  const history = new DepthHistory(capacity);
  const depth = async (queue: string): Promise<number> =>
    (await storage.queues.getQueueClient(queue).getProperties()).approximateMessagesCount ?? 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  const sample = async (): Promise<void> => {
    const at = now();
    try {
      const [jobs, poison] = await Promise.all([depth(names.jobsQueue), depth(names.poisonQueue)]);
      history.add({ at: at.toISOString(), jobs, poison });
    } catch (error) {
      // A missed sample is a gap in the chart, not a reason to stop sampling.
      logger.debug('ops.depth_sample_failed', { message: error instanceof Error ? error.message : String(error) });
    }
  };
  const tick = (): void => {
    inFlight = sample().then(() => {
      if (!stopped) timer = setTimeout(tick, intervalMs).unref();
    });
  };
  tick();
  return {
    history,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
