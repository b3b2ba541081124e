/** Job services on the test run's Azurite with their own containers and queues, the offline provider and no logs. */
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import type { JobServices } from '../../src/pipeline/jobServices.js';
import { createOfflineProvider } from '../../src/providers/offlineProvider.js';
import { createJobServices, ensureStorage, type JobServicesOptions } from '../../src/runtime.js';
import { testEnv, uniqueNames } from './testHost.js';

export async function offlineServices(options: Pick<JobServicesOptions, 'functionTimeoutMs'> = {}): Promise<JobServices> {
  const connectionString = inject('storageConnectionString');
  const storage = {
    blobs: BlobServiceClient.fromConnectionString(connectionString),
    queues: QueueServiceClient.fromConnectionString(connectionString),
  };
  const services = createJobServices(loadConfig(testEnv(uniqueNames())), {
    storage,
    provider: createOfflineProvider(),
    logger: silentLogger,
    messageEncoding: 'base64',
    ...options,
  });
  await ensureStorage(storage, services.config);
  return services;
}
