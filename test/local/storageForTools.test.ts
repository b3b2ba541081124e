/**
 * The storage `npm start` prints for other tools: `node dist/local/main.js` (as `npm start` runs it) with
 * the embedded Azurite on free ports prints a full connection string that an SDK client can use as it
 * is, and a configured storage account is printed without its key. Needs `npm run build`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { describe, expect, it } from 'vitest';
import { connectionStringFor } from '../../src/local/azurite.js';
import { storageForTools } from '../../src/local/storageForTools.js';
import { resultRecordSchema } from '../../src/contracts/resultRecord.js';
import { createStorageClients } from '../../src/storage/clients.js';
import { ResultStore } from '../../src/storage/resultStore.js';
import { resultPath } from '../../src/contracts/blobPaths.js';
import { fixture } from '../support/fixtures.js';
import { waitFor } from '../support/storage.js';
import { uniqueNames } from '../support/testHost.js';

const MAIN = fileURLToPath(new URL('../../dist/local/main.js', import.meta.url));
const HEADING = 'Storage for other tools (Azure CLI, Storage Explorer, SDKs):';

describe('`npm start` prints the storage for other tools', () => {
  it('as a full Azurite connection string that works as printed, with a ready az line', async () => {
    expect(existsSync(MAIN), 'run `npm run build` first').toBe(true);
    const names = uniqueNames();
    // Its own folder, so the embedded Azurite keeps its data away from a developer's .azurite/.
    const cwd = mkdtempSync(join(tmpdir(), 'bvw-tools-'));
    const env = {
      ...process.env,
      DataStorage: 'UseDevelopmentStorage=true',
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      INPUT_CONTAINER: names.inputContainer,
      RESULTS_CONTAINER: names.resultsContainer,
      JOBS_QUEUE: names.jobsQueue,
      STATE_CONTAINER: names.stateContainer,
      LOG_LEVEL: 'warn',
    };
    const child = spawn(process.execPath, [MAIN, '--port', '0', '--blob-port', '0', '--queue-port', '0'], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await waitFor('the host to start', () => output.includes('Stop: Ctrl+C') || child.exitCode !== null, 30_000);
      expect(child.exitCode, output).toBeNull();
      const lines = output.split('\n');
      const at = lines.indexOf(HEADING);
      expect(at, output).toBeGreaterThan(0);
      const printed = lines[at + 1]?.trim() ?? '';
      expect(printed).toMatch(
        /^DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=[^;]+;BlobEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1;QueueEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1;$/,
      );
      // Free ports, not the defaults: the printed string names the ports Azurite actually listens on.
      expect(printed).not.toContain(':10000/');
      expect(lines[at + 2]?.trim()).toBe(
        `az storage blob upload --connection-string "${printed}" --container-name ${names.inputContainer} --name photo.jpg --file ./photo.jpg`,
      );

      const blobs = BlobServiceClient.fromConnectionString(printed);
      await blobs.getContainerClient(names.inputContainer).getBlockBlobClient('tools/photo.jpg').uploadData(fixture('photo.jpg'));
      const results = new ResultStore(blobs.getContainerClient(names.resultsContainer));
      const record = await waitFor(
        'the record of the upload made with the printed string',
        () => results.read(resultPath('tools/photo.jpg')),
        30_000,
      );
      expect(resultRecordSchema.parse(record).status).toBe('succeeded');
      expect(await QueueServiceClient.fromConnectionString(printed).getQueueClient(names.jobsQueue).exists()).toBe(true);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 90_000);

  it('prints an Azurite string given in the settings in full: its key is the public development key', () => {
    const connectionString = connectionStringFor('http://127.0.0.1:20000/devstoreaccount1', 'http://127.0.0.1:20001/devstoreaccount1');
    const connection = { kind: 'connectionString', connectionString, setting: 'DataStorage' } as const;
    const lines = storageForTools(connection, createStorageClients(connection), 'uploads');
    expect(lines).toEqual([
      HEADING,
      `  ${connectionString}`,
      `  az storage blob upload --connection-string "${connectionString}" --container-name uploads --name photo.jpg --file ./photo.jpg`,
    ]);
  });

  it('prints a configured account and its endpoints, never its key or SAS', () => {
    const key = Buffer.alloc(64, 7).toString('base64');
    const withKey = {
      kind: 'connectionString',
      connectionString: `DefaultEndpointsProtocol=https;AccountName=contosoimages;AccountKey=${key};EndpointSuffix=core.windows.net`,
      setting: 'DataStorage',
    } as const;
    const keyLines = storageForTools(withKey, createStorageClients(withKey), 'uploads');
    expect(keyLines).toEqual([
      'Storage for other tools: account contosoimages, blob https://contosoimages.blob.core.windows.net, queue https://contosoimages.queue.core.windows.net',
      '  (credentials as configured in DataStorage; not printed)',
    ]);
    expect(keyLines.join('\n')).not.toContain(key);

    const sas = 'sv=2024-08-04&ss=bq&srt=sco&sp=rwdlacup&se=2030-01-01T00:00:00Z&sig=c2VjcmV0';
    const withSas = {
      kind: 'connectionString',
      connectionString: `BlobEndpoint=https://contosoimages.blob.core.windows.net/;QueueEndpoint=https://contosoimages.queue.core.windows.net/;SharedAccessSignature=${sas}`,
      setting: 'AzureWebJobsStorage',
    } as const;
    const sasLines = storageForTools(withSas, createStorageClients(withSas), 'uploads').join('\n');
    expect(sasLines).toContain('blob https://contosoimages.blob.core.windows.net, queue https://contosoimages.queue.core.windows.net');
    expect(sasLines).not.toMatch(/sig=|sv=/);
  });
});
