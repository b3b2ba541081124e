/**
 * Builds the worker from configuration. Under the Functions host the handlers use one worker per
 * process built lazily from the app settings; the local host installs its own (embedded Azurite).
 */
import type { ContainerClient } from '@azure/storage-blob';
import { loadConfig, ConfigError, type Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import { hostSettings, type MessageEncoding } from './hostSettings.js';
import { jobTimeoutFor, type JobServices } from './pipeline/jobServices.js';
import { createProvider } from './providers/createProvider.js';
import type { VisionProvider } from './providers/types.js';
import { AttemptLog } from './storage/attemptLog.js';
import { JobClaims } from './storage/jobClaims.js';
import { PoisonedJobs } from './storage/poisonedJobs.js';
import { ResultCache } from './storage/resultCache.js';
import { createStorageClients, type StorageClients } from './storage/clients.js';
import { LimiterStateStore } from './storage/limiterStateStore.js';
import { ResultStore } from './storage/resultStore.js';
import { isStatus } from './storage/storageErrors.js';
import { JobQueue } from './pipeline/jobQueue.js';

export interface JobServicesOptions {
  storage?: StorageClients;
  provider?: VisionProvider;
  logger?: Logger;
  /** How the host decodes job messages; host.json's `messageEncoding` by default. */
  messageEncoding?: MessageEncoding;
  /** The host's function timeout; host.json's `functionTimeout` by default. */
  functionTimeoutMs?: number;
}

export function createJobServices(config: Config, options: JobServicesOptions = {}): JobServices {
  const storage = options.storage ?? storageFor(config);
  const blobs = storage.blobs;
  const state = blobs.getContainerClient(config.names.stateContainer);
  const input = blobs.getContainerClient(config.names.inputContainer);
  const logger = options.logger ?? createLogger(config.logLevel);
  const limiterStates = new LimiterStateStore(state);
  return {
    config,
    input,
    results: new ResultStore(blobs.getContainerClient(config.names.resultsContainer), (name) => currentEtagOf(input, name)),
    attempts: new AttemptLog(state),
    jobs: new JobQueue(
      storage.queues.getQueueClient(config.names.jobsQueue),
      options.messageEncoding ?? hostSettings().queues.messageEncoding,
    ),
    cache: new ResultCache(state),
    claims: new JobClaims(state),
    poisoned: new PoisonedJobs(state),
    provider: options.provider ?? createProvider(config, { logger, reportLimiter: (limiter) => limiterStates.publish(limiter) }),
    jobTimeoutMs: jobTimeoutFor(options.functionTimeoutMs ?? hostSettings().functionTimeoutMs),
    logger,
    now: () => performance.now(),
  };
}

async function currentEtagOf(input: ContainerClient, name: string): Promise<string | undefined> {
  try {
    return (await input.getBlobClient(name).getProperties()).etag;
  } catch (error) {
    if (isStatus(error, 404)) return undefined;
    throw error;
  }
}

function storageFor(config: Config): StorageClients {
  if (config.storage === undefined) {
    throw new ConfigError(
      'DataStorage',
      'no storage configured: set DataStorage (or AzureWebJobsStorage) to a connection string or DataStorage__blobServiceUri and __queueServiceUri',
    );
  }
  return createStorageClients(config.storage);
}

/** The job services and the storage they work on: what the function handlers use. */
export interface Runtime {
  services: JobServices;
  storage: StorageClients;
}

let current: Runtime | undefined;

function runtime(): Runtime {
  if (current === undefined) {
    const config = loadConfig();
    const storage = storageFor(config);
    current = { services: createJobServices(config, { storage }), storage };
  }
  return current;
}

/** The job services the function handlers use. */
export function currentServices(): JobServices {
  return runtime().services;
}

/** The storage the worker works on: the ops functions read its queues and results. */
export function currentStorage(): StorageClients {
  return runtime().storage;
}

/** The local host (and tests) install the runtime the handlers should use. */
export function useRuntime(next: Runtime | undefined): void {
  current = next;
}

/** Creates the containers and queues the worker uses (the local host; infra does this in Azure). */
export async function ensureStorage(storage: StorageClients, config: Config): Promise<void> {
  const { names } = config;
  await Promise.all([
    ...[names.inputContainer, names.resultsContainer, names.stateContainer].map((name) =>
      storage.blobs.getContainerClient(name).createIfNotExists(),
    ),
    ...[names.jobsQueue, names.poisonQueue].map((name) => storage.queues.getQueueClient(name).createIfNotExists()),
  ]);
}
