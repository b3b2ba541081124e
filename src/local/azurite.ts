/**
 * Starts the Azurite storage emulator (the npm package) as a child process: the embedded storage of the
 * local host and of the tests. It runs in its own process group, so a kill of the host's group does not
 * take it down between its autosaves (every 5 s); it stops itself gracefully, saving, once its parent is
 * gone, and a persisted one left running is stopped by the next start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

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
  /** The pid of an Azurite that a previous run left with this data folder, stopped before this one started. */
  replacedPid: number | undefined;
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

/**
 * Azurite saves its data on SIGTERM; this makes it send itself one when its parent process is gone, and
 * keeps a write to the dead parent's pipes (EPIPE) from ending it before it has saved.
 */
const PARENT_WATCH = `data:text/javascript,${encodeURIComponent(
  [
    'const parent = process.ppid;',
    "setInterval(() => { if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM'); }, 500).unref();",
    "process.stdout.on('error', () => {}); process.stderr.on('error', () => {});",
  ].join(' '),
)}`;
const PID_FILE = 'azurite.pid';

function isRunningAzurite(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // Where /proc exists, a reused pid is told apart from Azurite by its command line.
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('azurite');
  } catch {
    return process.platform !== 'linux';
  }
}

/** Stops the Azurite a previous run left on `location` (SIGTERM, so it saves; SIGKILL after 10 s). */
async function stopLeftOver(location: string): Promise<number | undefined> {
  const file = join(location, PID_FILE);
  let pid: unknown;
  try {
    pid = (JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown }).pid;
  } catch {
    return undefined;
  }
  rmSync(file, { force: true });
  if (typeof pid !== 'number' || !isRunningAzurite(pid)) return undefined;
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; waited < 10_000 && isRunningAzurite(pid); waited += 100) await sleep(100);
  if (isRunningAzurite(pid)) process.kill(pid, 'SIGKILL');
  return pid;
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const replacedPid = options.location === undefined ? undefined : await stopLeftOver(options.location);
  const blobPort = options.blobPort ?? (await freePort());
  const queuePort = options.queuePort ?? (await freePort());
  const tablePort = await freePort();
  const entry = createRequire(import.meta.url).resolve('azurite/dist/src/azurite.js');
  const args = [
    '--import',
    PARENT_WATCH,
    entry,
    '--blobPort',
    String(blobPort),
    '--queuePort',
    String(queuePort),
    '--tablePort',
    String(tablePort),
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
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  await waitForListening(child, 2);
  if (options.location !== undefined && child.pid !== undefined)
    writeFileSync(join(options.location, PID_FILE), JSON.stringify({ pid: child.pid }));
  const blobEndpoint = `http://127.0.0.1:${blobPort}/${ACCOUNT}`;
  const queueEndpoint = `http://127.0.0.1:${queuePort}/${ACCOUNT}`;
  return {
    replacedPid,
    connectionString: connectionStringFor(blobEndpoint, queueEndpoint),
    blobEndpoint,
    queueEndpoint,
    stop: async () => {
      await stopChild(child);
      if (options.location !== undefined) rmSync(join(options.location, PID_FILE), { force: true });
    },
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
