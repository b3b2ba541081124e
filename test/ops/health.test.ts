import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { freePort } from '../../src/local/azurite.js';
import { checkHealth } from '../../src/ops/health.js';
import { createStorageClients } from '../../src/storage/clients.js';
import { testEnv, uniqueNames } from '../support/testHost.js';

describe('health checks', () => {
  const names = uniqueNames();
  const storage = createStorageClients({
    kind: 'connectionString',
    connectionString: inject('storageConnectionString'),
    setting: 'DataStorage',
  });
  let endpoint = '';
  const server = createServer((_request, response) => {
    response.writeHead(401);
    response.end('{"error":"no key"}');
  });

  beforeAll(async () => {
    await storage.queues.getQueueClient(names.jobsQueue).createIfNotExists();
    await storage.blobs.getContainerClient(names.resultsContainer).createIfNotExists();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('is healthy when storage answers and the model endpoint answers at all (a 401 included)', async () => {
    const config = loadConfig(testEnv(names, { AZURE_OPENAI_ENDPOINT: endpoint }));
    const report = await checkHealth({ load: () => ({ config, storage }) });
    expect(report.status).toBe('healthy');
    expect(report.checks.model).toMatchObject({ ok: true });
    expect(report.checks.storage).toMatchObject({ ok: true });
  });

  it('names the setting when the configuration does not load, and nothing else', async () => {
    const report = await checkHealth({
      load: () => {
        throw new ConfigError('MAX_BLOB_BYTES', 'expected a whole number, got "secret-looking value"');
      },
    });
    expect(report.status).toBe('unhealthy');
    expect(report.reasons).toEqual(['configuration: MAX_BLOB_BYTES is invalid or missing']);
    expect(JSON.stringify(report)).not.toContain('secret-looking');
  });

  it('reports unreachable storage and model endpoint within the timeout, without addresses', async () => {
    const closed = await freePort();
    const deadStorage = createStorageClients({
      kind: 'connectionString',
      connectionString: inject('storageConnectionString').replace(/127\.0\.0\.1:\d+/g, `127.0.0.1:${closed}`),
      setting: 'DataStorage',
    });
    const config = loadConfig(testEnv(names, { AZURE_OPENAI_ENDPOINT: `http://127.0.0.1:${closed}/` }));
    const started = Date.now();
    const report = await checkHealth({ load: () => ({ config, storage: deadStorage }), timeoutMs: 1000 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(report.status).toBe('unhealthy');
    expect(report.reasons).toHaveLength(2);
    expect(report.reasons[0]).toMatch(/^storage: /);
    expect(report.reasons[1]).toMatch(/^model endpoint: /);
    expect(JSON.stringify(report)).not.toContain(String(closed));
  });
});
