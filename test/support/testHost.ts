/**
 * A local host on the test run's Azurite with its own containers and queues, and fast host.json and
 * Event Grid semantics (short retry delays and polling) so that retries, poisoning and dead letters
 * finish in seconds.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { loadConfig, type Config, type Env } from '../../src/config.js';
import { hostSettings, type HostSettings } from '../../src/hostSettings.js';
import { createLogger, type Logger } from '../../src/log.js';
import { LocalHost } from '../../src/local/localHost.js';
import { resultRecordSchema, type ResultRecord } from '../../src/contracts/resultRecord.js';
import type { VisionProvider } from '../../src/providers/types.js';
import { createStorageClients, type StorageClients } from '../../src/storage/clients.js';
import { ResultStore } from '../../src/storage/resultStore.js';
import { resultPath } from '../../src/contracts/blobPaths.js';

export interface TestHostOptions {
  env?: Env;
  provider?: VisionProvider;
  host?: Partial<HostSettings['queues']>;
  /** host.json's functionTimeout by default. */
  functionTimeoutMs?: number;
  leaseMs?: number;
  /** Reuse the names of an earlier host (to test a restart). */
  names?: Config['names'];
  logs?: string[];
}

export interface TestHost {
  host: LocalHost;
  config: Config;
  storage: StorageClients;
  results: ResultStore;
  upload(name: string, body: Buffer | string, metadata?: Record<string, string>): Promise<string>;
  waitForRecord(blob: string, options?: { etag?: string; timeoutMs?: number; path?: string }): Promise<ResultRecord>;
  stop(): Promise<void>;
}

export function uniqueNames(): Config['names'] {
  const id = randomBytes(4).toString('hex');
  return {
    inputContainer: `up-${id}`,
    resultsContainer: `res-${id}`,
    jobsQueue: `jobs-${id}`,
    poisonQueue: `jobs-${id}-poison`,
    stateContainer: `state-${id}`,
    deadLetterContainer: `dead-${id}`,
  };
}

export function testEnv(names: Config['names'], env: Env = {}): Env {
  return {
    DataStorage: inject('storageConnectionString'),
    INPUT_CONTAINER: names.inputContainer,
    RESULTS_CONTAINER: names.resultsContainer,
    JOBS_QUEUE: names.jobsQueue,
    STATE_CONTAINER: names.stateContainer,
    DEAD_LETTER_CONTAINER: names.deadLetterContainer,
    LOG_LEVEL: 'warn',
    ...env,
  };
}

export async function startTestHost(options: TestHostOptions = {}): Promise<TestHost> {
  const names = options.names ?? uniqueNames();
  const config = loadConfig(testEnv(names, options.env));
  if (config.storage === undefined) throw new Error('no storage');
  const storage = createStorageClients(config.storage);
  const logs = options.logs;
  const logger: Logger = createLogger('info', (line) => logs?.push(line));
  const defaults = hostSettings();
  const host = await LocalHost.start({
    config,
    storage,
    logger,
    host: {
      functionTimeoutMs: options.functionTimeoutMs ?? defaults.functionTimeoutMs,
      queues: { ...defaults.queues, visibilityTimeoutMs: 0, maxPollingIntervalMs: 200, ...options.host },
    },
    blobPollMs: 100,
    eventRetryDelaysMs: [200, 400, 800, 1_600],
    leaseMs: options.leaseMs ?? 60_000,
    ...(options.provider === undefined ? {} : { services: { provider: options.provider } }),
  });
  const results = new ResultStore(storage.blobs.getContainerClient(config.names.resultsContainer));
  return {
    host,
    config,
    storage,
    results,
    async upload(name, body, metadata) {
      const response = await storage.blobs
        .getContainerClient(config.names.inputContainer)
        .getBlockBlobClient(name)
        .upload(body, Buffer.byteLength(body), metadata === undefined ? {} : { metadata });
      return response.etag ?? '';
    },
    async waitForRecord(blob, { etag, timeoutMs = 30_000, path = resultPath(blob) } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const record = await results.read(path);
        if (record !== undefined && (etag === undefined || record.source.etag === etag)) return resultRecordSchema.parse(record);
        if (Date.now() > deadline) throw new Error(`no record for ${blob} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    stop: () => host.stop(),
  };
}
