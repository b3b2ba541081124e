import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { StorageConnection } from '../config.js';

export interface StorageClients {
  blobs: BlobServiceClient;
  queues: QueueServiceClient;
}

/** Bounded retries so an emulator restart or a throttled account is ridden out without hanging a job. */
const PIPELINE = {
  retryOptions: { maxTries: 5, retryDelayInMs: 500, maxRetryDelayInMs: 8_000, tryTimeoutInMs: 60_000 },
} as const;

/** Identity first (managed identity in Azure); a connection string only where one is configured. */
export function createStorageClients(connection: StorageConnection, credential?: TokenCredential): StorageClients {
  if (connection.kind === 'connectionString') {
    return {
      blobs: BlobServiceClient.fromConnectionString(connection.connectionString, PIPELINE),
      queues: QueueServiceClient.fromConnectionString(connection.connectionString, PIPELINE),
    };
  }
  const signIn =
    credential ?? new DefaultAzureCredential(connection.clientId === undefined ? {} : { managedIdentityClientId: connection.clientId });
  return {
    blobs: new BlobServiceClient(connection.blobServiceUri, signIn, PIPELINE),
    queues: new QueueServiceClient(connection.queueServiceUri, signIn, PIPELINE),
  };
}
