/**
 * Storage can fail at any step of a job (throttling, 5xx, timeouts, a refused or reset connection): the
 * job must then fail as the retryable `storage_unavailable`, never `internal_error`, whichever call failed.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { WorkerError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { connectionStringFor, freePort } from '../../src/local/azurite.js';
import { serializeJobMessage } from '../../src/contracts/jobMessage.js';
import { processJob } from '../../src/pipeline/processJob.js';
import type { JobServices } from '../../src/pipeline/jobServices.js';
import { createOfflineProvider } from '../../src/providers/offlineProvider.js';
import { createJobServices, ensureStorage } from '../../src/runtime.js';
import { AttemptLog } from '../../src/storage/attemptLog.js';
import { createStorageClients, type StorageClients } from '../../src/storage/clients.js';
import { testEnv, uniqueNames } from '../support/testHost.js';

const NO_RETRIES = { retryOptions: { maxTries: 1 } };

/** Clients for an account at `endpoint`, failing on the first error instead of retrying. */
function clientsFor(endpoint: string): StorageClients {
  const connectionString = connectionStringFor(`${endpoint}/devstoreaccount1`, `${endpoint}/devstoreaccount1`);
  return {
    blobs: BlobServiceClient.fromConnectionString(connectionString, NO_RETRIES),
    queues: QueueServiceClient.fromConnectionString(connectionString, NO_RETRIES),
  };
}

function workerOn(storage: StorageClients, names = uniqueNames()): JobServices {
  return createJobServices(loadConfig(testEnv(names)), {
    storage,
    provider: createOfflineProvider(),
    logger: silentLogger,
    messageEncoding: 'base64',
  });
}

const job = (services: JobServices, blob = 'a.jpg', etag = '"0x1"') =>
  JSON.parse(serializeJobMessage({ v: 1, container: services.config.names.inputContainer, blob, etag, contentLength: 1 })) as unknown;

async function failure(run: Promise<unknown>): Promise<WorkerError> {
  const error = await run.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(WorkerError);
  return error as WorkerError;
}

const servers: Server[] = [];
afterAll(() => Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))));

/** A storage endpoint that answers every request with `status`, as a throttled or failing account does. */
async function failingStorage(status: number, errorCode: string): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(status, { 'x-ms-error-code': errorCode, 'content-type': 'application/xml' });
    res.end(`<?xml version="1.0" encoding="utf-8"?><Error><Code>${errorCode}</Code><Message>${errorCode}</Message></Error>`);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('a job whose storage fails', () => {
  it('is storage_unavailable when the account refuses connections', async () => {
    const services = workerOn(clientsFor(`http://127.0.0.1:${await freePort()}`));
    const error = await failure(processJob(services, job(services), { dequeueCount: 1 }));
    expect(error).toMatchObject({ code: 'storage_unavailable', retryable: true });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it.each([
    [503, 'ServerBusy'],
    [500, 'OperationTimedOut'],
    [408, 'RequestTimeout'],
  ])('is storage_unavailable when the account answers %i %s', async (status, code) => {
    const services = workerOn(clientsFor(await failingStorage(status, code)));
    const error = await failure(processJob(services, job(services), { dequeueCount: 1 }));
    expect(error).toMatchObject({ code: 'storage_unavailable', retryable: true });
    expect(error.message).toContain(`(HTTP ${status})`);
  });

  it('is storage_unavailable, and noted for recordPoison, when writing the record fails after the analysis', async () => {
    const storage = createStorageClients({
      kind: 'connectionString',
      connectionString: inject('storageConnectionString'),
      setting: 'DataStorage',
    });
    const names = uniqueNames();
    const services = workerOn(storage, names);
    await ensureStorage(storage, services.config);
    // The results container is gone: every write of a record fails with 404 ContainerNotFound.
    await storage.blobs.getContainerClient(names.resultsContainer).delete();
    const photo = readFileSync(new URL('../fixtures/photo.jpg', import.meta.url));
    const uploaded = await services.input.getBlockBlobClient('photo.jpg').uploadData(photo);
    const error = await failure(processJob(services, job(services, 'photo.jpg', uploaded.etag), { dequeueCount: 2 }));
    expect(error).toMatchObject({ code: 'storage_unavailable', retryable: true });
    expect(error.message).toContain('(HTTP 404)');
    const attempts = await new AttemptLog(storage.blobs.getContainerClient(names.stateContainer)).read('photo.jpg', uploaded.etag ?? '');
    expect(attempts).toMatchObject([{ attempt: 2, code: 'storage_unavailable' }]);
  });
});
