/**
 * Runs a labelled set through the worker itself: its own in-memory Azurite, the local host with the
 * function app's registrations (BlobCreated events, the job queue, retries, poison handling), uploads
 * under the files' names, and the result records read back from the results container.
 */
import { createWriteStream } from 'node:fs';
import type { ContainerClient } from '@azure/storage-blob';
import { loadConfig, type Env } from '../src/config.js';
import { resultPath } from '../src/contracts/blobPaths.js';
import { resultRecordSchema, type ResultRecord } from '../src/contracts/resultRecord.js';
import { hostSettings } from '../src/hostSettings.js';
import { startAzurite } from '../src/local/azurite.js';
import { LocalHost } from '../src/local/localHost.js';
import { createLogger } from '../src/log.js';
import { DATA_CONNECTION, PROFILE_METADATA_KEY } from '../src/names.js';
import type { VisionProvider } from '../src/providers/types.js';
import { createStorageClients } from '../src/storage/clients.js';
import type { LabelledFile } from './labelledSet.js';

export interface Configuration {
  /** How the report names it: its settings, or "current settings". */
  label: string;
  /** Settings over the environment (and local.settings.json), as KEY=VALUE pairs. */
  settings: Env;
}

export interface RunOptions {
  /** Jobs at a time (the host's batch size); 1 keeps each file's time its own. */
  concurrency: number;
  /** Whether the profile is given (`--profile`) rather than taken from the path rules. */
  profileGiven: boolean;
  /** Replaces the configured provider (the offline reader with other preparation steps). */
  provider?: VisionProvider;
  /** Reads one file first, unscored, so that OCR workers' start is not charged to the first file (offline only: no paid call). */
  warmUp: boolean;
  logFile: string;
  /** Gives up when no record arrives for this long. */
  stallMs: number;
  progress: (done: number, total: number, meanMs: number) => void;
}

const POLL_MS = 250;
const WARM_UP_PREFIX = '_warm-up/';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function runConfiguration(
  files: LabelledFile[],
  configuration: Configuration,
  options: RunOptions,
): Promise<Map<string, ResultRecord>> {
  const azurite = await startAzurite();
  const log = createWriteStream(options.logFile, { flags: 'a' });
  try {
    const storage = { kind: 'connectionString' as const, connectionString: azurite.connectionString, setting: DATA_CONNECTION };
    const config = { ...loadConfig({ ...process.env, ...configuration.settings }), storage };
    const clients = createStorageClients(storage);
    const host = hostSettings();
    const local = await LocalHost.start({
      config,
      storage: clients,
      logger: createLogger(config.logLevel, (line) => log.write(`${line}\n`), { configuration: configuration.label }),
      host: { ...host, queues: { ...host.queues, batchSize: options.concurrency, newBatchThreshold: options.concurrency - 1 } },
      blobPollMs: POLL_MS,
      ...(options.provider === undefined ? {} : { services: { provider: options.provider } }),
    });
    try {
      const input = clients.blobs.getContainerClient(config.names.inputContainer);
      const results = clients.blobs.getContainerClient(config.names.resultsContainer);
      const [first] = files;
      if (options.warmUp && config.provider.kind === 'offline' && first !== undefined) {
        const warmUp = { ...first, blobName: `${WARM_UP_PREFIX}${first.blobName}` };
        await input.getBlockBlobClient(warmUp.blobName).uploadFile(first.path, { metadata: { [PROFILE_METADATA_KEY]: first.profile } });
        await collectRecords(results, [warmUp], { ...options, progress: () => undefined });
      }
      for (const file of files) {
        await input.getBlockBlobClient(file.blobName).uploadFile(file.path, {
          ...(options.profileGiven ? { metadata: { [PROFILE_METADATA_KEY]: file.profile } } : {}),
        });
      }
      return await collectRecords(results, files, options);
    } finally {
      await local.stop();
    }
  } finally {
    await azurite.stop();
    await new Promise((resolve) => log.end(resolve));
  }
}

async function collectRecords(
  results: ContainerClient,
  files: readonly Pick<LabelledFile, 'blobName'>[],
  options: Pick<RunOptions, 'stallMs' | 'logFile' | 'progress'>,
): Promise<Map<string, ResultRecord>> {
  const pending = new Map(files.map((file) => [resultPath(file.blobName), file.blobName]));
  const records = new Map<string, ResultRecord>();
  let lastRecordAt = Date.now();
  while (pending.size > 0) {
    for await (const blob of results.listBlobsFlat()) {
      const blobName = pending.get(blob.name);
      if (blobName === undefined) continue;
      const text = (await results.getBlobClient(blob.name).downloadToBuffer()).toString('utf8');
      records.set(blobName, resultRecordSchema.parse(JSON.parse(text)));
      pending.delete(blob.name);
      lastRecordAt = Date.now();
      const times = [...records.values()].map((record) => record.timings.totalMs);
      options.progress(records.size, files.length, times.reduce((a, b) => a + b, 0) / times.length);
    }
    if (pending.size === 0) break;
    if (Date.now() - lastRecordAt > options.stallMs)
      throw new Error(
        `no record for ${Math.round(options.stallMs / 1000)} s; still waiting for ${[...pending.values()].slice(0, 5).join(', ')} (log: ${options.logFile})`,
      );
    await sleep(POLL_MS);
  }
  return records;
}
