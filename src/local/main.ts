/**
 * `npm start`: the local host with embedded storage. Reads local.settings.json like `func start` does
 * (the environment wins), starts Azurite unless real storage is configured, serves the HTTP functions and
 * the ops page on `--port` (else Host.LocalHttpPort, else 7071; a free port when that one is taken), and
 * runs until Ctrl+C. `--lease-seconds` sets how long a running job's message stays leased;
 * `--blob-port` / `--queue-port` move the embedded Azurite off 10000 / 10001 (0 picks a free port).
 */
import { parseArgs } from 'node:util';
import { loadConfig, ConfigError, isDevelopmentStorage, type Config } from '../config.js';
import { createLogger } from '../log.js';
import { DATA_CONNECTION, HOST_CONNECTION } from '../names.js';
import { createStorageClients } from '../storage/clients.js';
import { startAzurite, type RunningAzurite } from './azurite.js';
import { storageForTools } from './storageForTools.js';
import { LocalHost } from './localHost.js';
import { loadLocalSettings, localHttpPort } from './localSettings.js';
import { DEFAULT_PORT, startOpsServer } from './opsServer.js';

export const LOCAL_DATA_DIR = '.azurite';
const AZURITE_BLOB_PORT = 10000;
const AZURITE_QUEUE_PORT = 10001;

/** A whole number in min..max, or exit naming the option. */
function wholeNumber(option: string, raw: string | undefined, min: number, max: number, expected: string): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    console.error(`--${option}: expected ${expected}, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

/**
 * `--lease-seconds` (renewed at half-life): 60 s rather than the Functions host's 10 minutes, so a crashed
 * host's jobs come back within a minute of its restart. A local-host option, not an app setting.
 */
const DEFAULT_LEASE_SECONDS = 60;

interface Options {
  port: number | undefined;
  leaseMs: number;
  blobPort: number;
  queuePort: number;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'lease-seconds': { type: 'string' },
      'blob-port': { type: 'string' },
      'queue-port': { type: 'string' },
    },
  });
  const leaseSeconds = wholeNumber('lease-seconds', values['lease-seconds'], 2, 3600, 'seconds (2-3600)');
  return {
    port: wholeNumber('port', values.port, 0, 65535, 'a port number'),
    leaseMs: (leaseSeconds ?? DEFAULT_LEASE_SECONDS) * 1000,
    blobPort: wholeNumber('blob-port', values['blob-port'], 0, 65535, 'a port number') ?? AZURITE_BLOB_PORT,
    queuePort: wholeNumber('queue-port', values['queue-port'], 0, 65535, 'a port number') ?? AZURITE_QUEUE_PORT,
  };
}

/** The embedded emulator, or exit saying what to do when its ports are taken. */
async function startEmbeddedAzurite(blobPort: number, queuePort: number): Promise<RunningAzurite> {
  try {
    // Port 0 means a free one: startAzurite picks it when the port is left out.
    return await startAzurite({
      location: LOCAL_DATA_DIR,
      ...(blobPort === 0 ? {} : { blobPort }),
      ...(queuePort === 0 ? {} : { queuePort }),
    });
  } catch (error) {
    if (!(error instanceof Error) || !error.message.includes('EADDRINUSE')) throw error;
    console.error(
      [
        `Cannot start the embedded Azurite: port ${blobPort} or ${queuePort} is in use, most likely by another \`npm start\` or Azurite.`,
        `Stop it, start on other ports (npm start -- --blob-port 0 --queue-port 0), or use it: set ${DATA_CONNECTION} (in local.settings.json or the environment) to its connection string instead of UseDevelopmentStorage=true.`,
      ].join('\n'),
    );
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const { port, leaseMs, blobPort, queuePort } = options();
  loadLocalSettings(process.env);
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Configuration error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  let azurite: RunningAzurite | undefined;
  let storage = config.storage;
  if (isDevelopmentStorage(storage)) {
    azurite = await startEmbeddedAzurite(blobPort, queuePort);
    storage = { kind: 'connectionString', connectionString: azurite.connectionString, setting: DATA_CONNECTION };
  }
  if (storage === undefined) throw new ConfigError(DATA_CONNECTION, `set ${DATA_CONNECTION} or ${HOST_CONNECTION}`);
  const clients = createStorageClients(storage);
  const host = await LocalHost.start({ config: { ...config, storage }, storage: clients, logger, leaseMs });
  const ops = await startOpsServer({
    host,
    config,
    storage: clients,
    logger,
    port: port ?? localHttpPort() ?? DEFAULT_PORT,
    // An explicit --port must be honoured or fail; the default may move to a free port.
    fallbackToFreePort: port === undefined,
  });

  const provider =
    config.provider.kind === 'offline'
      ? 'offline (no model endpoint configured)'
      : config.provider.kind === 'azure-openai'
        ? `Azure OpenAI ${config.provider.endpoint} deployment ${config.provider.deployment}`
        : `OpenAI-compatible ${config.provider.baseUrl ?? 'api.openai.com'} model ${config.provider.model}`;
  if (azurite?.replacedPid !== undefined) {
    logger.warn('host.azurite_replaced', { pid: azurite.replacedPid, dataDir: LOCAL_DATA_DIR });
  }
  const where =
    azurite === undefined
      ? `storage from ${storage.setting}`
      : `Azurite blob ${azurite.blobEndpoint}, queue ${azurite.queueEndpoint} (data in ${LOCAL_DATA_DIR}/)`;
  console.error(
    [
      '',
      'blob-vision-worker local host is running',
      `  storage:   ${where}`,
      ...(azurite?.replacedPid === undefined
        ? []
        : [`             (stopped the Azurite a previous run left running, pid ${azurite.replacedPid}; its data was saved)`]),
      `  provider:  ${provider}`,
      `  functions: ${host.functions.map((fn) => fn.name).join(', ')}`,
      `  watching:  container "${config.names.inputContainer}" -> queue "${config.names.jobsQueue}" -> container "${config.names.resultsContainer}"`,
      `  ops page:  ${ops.url}/ops/`,
      `  http:      ${ops.url}/api/health  ${ops.url}/api/metrics`,
      '',
      ...storageForTools(storage, clients, config.names.inputContainer),
      '',
      'Submit files from another terminal:   npm run submit -- ./some/folder photo.jpg',
      'List results:                         npm run results        (one in full: npm run results -- <blob name>)',
      'Queue depths, failures, tokens, cost: npm run stats',
      'Stop: Ctrl+C (running jobs finish first)',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.error(`\n${signal}: finishing running jobs...`);
    void ops
      .close()
      .then(() => host.stop())
      .then(() => azurite?.stop())
      .then(() => process.exit(0));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

await main();
