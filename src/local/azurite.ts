/**
 * Starts the Azurite storage emulator (the npm package) as a child process: the embedded storage of the
 * local host and of the tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';

/** Azurite's well-known development account (public, documented; not a secret). */
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** Folder for persisted data; omitted means in memory (the two cannot be combined). */
  location?: string;
  blobPort?: number;
  queuePort?: number;
  /** Print Azurite's access log. */
  verbose?: boolean;
}

export interface RunningAzurite {
  connectionString: string;
  blobEndpoint: string;
  queueEndpoint: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** True when the connection string carries Azurite's public development key: printing it reveals no secret. */
export function usesAzuriteKey(connectionString: string): boolean {
  return connectionString.split(';').some((part) => {
    const at = part.indexOf('=');
    return at > 0 && part.slice(0, at).trim().toLowerCase() === 'accountkey' && part.slice(at + 1).trim() === ACCOUNT_KEY;
  });
}

export function connectionStringFor(blobEndpoint: string, queueEndpoint: string): string {
  return `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};QueueEndpoint=${queueEndpoint};`;
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const blobPort = options.blobPort ?? (await freePort());
  const queuePort = options.queuePort ?? (await freePort());
  const tablePort = await freePort();
  const entry = createRequire(import.meta.url).resolve('azurite/dist/src/azurite.js');
  const args = [
    entry,
    '--blobPort', String(blobPort),
    '--queuePort', String(queuePort),
    '--tablePort', String(tablePort),
    // Azurite rejects API versions newer than it knows; the storage SDK sends the newest it has.
    '--skipApiVersionCheck',
    '--disableTelemetry',
    ...(options.verbose === true ? [] : ['--silent']),
  ];
  if (options.location === undefined) {
    args.push('--inMemoryPersistence');
  } else {
    mkdirSync(options.location, { recursive: true });
    args.push('--location', options.location);
  }
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitForListening(child, 2);
  const blobEndpoint = `http://127.0.0.1:${blobPort}/${ACCOUNT}`;
  const queueEndpoint = `http://127.0.0.1:${queuePort}/${ACCOUNT}`;
  return {
    connectionString: connectionStringFor(blobEndpoint, queueEndpoint),
    blobEndpoint,
    queueEndpoint,
    stop: () => stopChild(child),
  };
}

function waitForListening(child: ChildProcess, services: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    let listening = 0;
    const timer = setTimeout(() => fail(new Error(`Azurite did not start within 30 s:\n${output}`)), 30_000);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString();
      output += text;
      listening += text.match(/(Blob|Queue) service is successfully listening/g)?.length ?? 0;
      if (listening >= services) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => fail(new Error(`Azurite exited with code ${code}:\n${output}`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
