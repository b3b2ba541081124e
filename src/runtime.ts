/**
 * Builds the worker from configuration. Under the Functions host the handlers use one worker per
 * process built lazily from the app settings; the local host installs its own (embedded Azurite).
 */
import { loadConfig, ConfigError, type Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import { builtInProfiles, type ProfileRegistry } from './profiles/index.js';
import type { Worker } from './pipeline/worker.js';
import { createProvider } from './providers/createProvider.js';
import type { VisionProvider } from './providers/types.js';
import { AttemptLog } from './storage/attemptLog.js';
import { createStorageClients, type StorageClients } from './storage/clients.js';
import { ResultStore } from './storage/resultStore.js';
import { SETTINGS } from './names.js';

export interface WorkerOptions {
  storage?: StorageClients;
  provider?: VisionProvider;
  logger?: Logger;
  profiles?: ProfileRegistry;
}

export function createWorker(config: Config, options: WorkerOptions = {}): Worker {
  const profiles = options.profiles ?? builtInProfiles;
  for (const rule of config.profileRules) {
    if (!profiles.has(rule.profile)) {
      throw new ConfigError(SETTINGS.profileRules, `rule "${rule.prefix}=${rule.profile}" names an unknown profile; known: ${[...profiles.keys()].join(', ')}`);
    }
  }
  if (!profiles.has(config.defaultProfile)) {
    throw new ConfigError(SETTINGS.defaultProfile, `"${config.defaultProfile}" is not a known profile; known: ${[...profiles.keys()].join(', ')}`);
  }
  const storage = options.storage ?? storageFor(config);
  const blobs = storage.blobs;
  return {
    config,
    input: blobs.getContainerClient(config.names.inputContainer),
    results: new ResultStore(blobs.getContainerClient(config.names.resultsContainer)),
    attempts: new AttemptLog(blobs.getContainerClient(config.names.stateContainer)),
    provider: options.provider ?? createProvider(config),
    profiles,
    logger: options.logger ?? createLogger(config.logLevel),
    now: () => performance.now(),
  };
}

function storageFor(config: Config): StorageClients {
  if (config.storage === undefined) {
    throw new ConfigError('DataStorage', 'no storage configured: set DataStorage (or AzureWebJobsStorage) to a connection string or DataStorage__blobServiceUri and __queueServiceUri');
  }
  return createStorageClients(config.storage);
}

let current: Worker | undefined;

/** The worker the function handlers use. */
export function currentWorker(): Worker {
  current ??= createWorker(loadConfig());
  return current;
}

/** The local host (and tests) install the worker the handlers should use. */
export function useWorker(worker: Worker | undefined): void {
  current = worker;
}

/** Creates the containers and queues the worker uses (the local host; infra does this in Azure). */
export async function ensureStorage(storage: StorageClients, config: Config): Promise<void> {
  const { names } = config;
  await Promise.all([
    ...[names.inputContainer, names.resultsContainer, names.stateContainer].map((name) => storage.blobs.getContainerClient(name).createIfNotExists()),
    ...[names.jobsQueue, names.poisonQueue].map((name) => storage.queues.getQueueClient(name).createIfNotExists()),
  ]);
}
