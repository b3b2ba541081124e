/**
 * Native and CPU-heavy file work (pdf.js with @napi-rs/canvas) runs in a few child processes, never in
 * the worker's own: a segfault in Skia kills a worker thread's whole process too (measured), and a
 * page of 50,000 strokes held the event loop for 11 s. The policy is here, once:
 *
 * - each call has a deadline (RENDER_TIMEOUT_MS); past it the child is killed;
 * - each child has a memory cap (RENDER_MAX_MEMORY_MB): V8's heap at half of it, and the resident set
 *   (pixels live outside the heap) read from /proc every 50 ms; above it the child is killed;
 * - a child that dies or is killed fails its session with a `RenderFailure` and is replaced on the next
 *   lease; other sessions and the worker carry on.
 *
 * A session holds one child for one file, so that a PDF is parsed once and its pages are asked for one
 * at a time. Idle children do not keep the process alive, and each exits when its parent goes away.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RenderPoolSettings } from '../config.js';
import { PermanentError, ensureError, type PermanentCode } from '../errors.js';
import type { Ready, RenderReply, RenderRequest } from './renderProtocol.js';

export type RenderFailure =
  | { reason: 'timeout'; timeoutMs: number }
  | { reason: 'out_of_memory'; rssMb: number; maxMemoryMb: number }
  | { reason: 'crashed'; exitCode: number | null; signal: string | null };

/** The child died, was killed, or missed its deadline: the session is over. */
export class RenderFailureError extends Error {
  constructor(readonly failure: RenderFailure) {
    super(
      `the renderer ${failure.reason === 'timeout' ? `missed its ${failure.timeoutMs} ms deadline` : failure.reason === 'out_of_memory' ? `used ${failure.rssMb} MB of ${failure.maxMemoryMb} MB` : `died (exit code ${failure.exitCode}, signal ${failure.signal})`}`,
    );
    this.name = 'RenderFailureError';
  }
}

export interface RenderSession {
  /** `T` is the answer the task named by `request.op` gives (the caller's own protocol). */
  call<T>(request: RenderRequest): Promise<T>;
  /** Gives the child back to the pool (or, after a failure, lets it be replaced). */
  release(): void;
}

const RSS_POLL_MS = 50;
const here = fileURLToPath(import.meta.url);
// Compiled (.js under dist/) or source (.ts under vitest/tsx): start the same kind of file as this one.
const ENTRY = fileURLToPath(new URL(`../renderChild${extname(here)}`, import.meta.url));
const LOADER = extname(here) === '.ts' ? ['--import', 'tsx'] : [];

/** Resident set size of a process in MB, from /proc (Linux, as on Azure Functions); undefined elsewhere. */
function residentMb(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Math.round(Number(kb) / 1024);
  } catch {
    return undefined;
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

class Child {
  readonly process: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Set once the child is gone or condemned: every later call fails with it. */
  failure: RenderFailure | undefined;
  /** Settles when the child has started (or failed to): deadlines count from there. */
  readonly ready: Promise<void>;

  constructor(private readonly settings: RenderPoolSettings) {
    this.process = fork(ENTRY, [], {
      execArgv: [...LOADER, `--max-old-space-size=${Math.max(64, Math.floor(settings.maxMemoryMb / 2))}`],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.ready = new Promise((resolve) => {
      this.process.once('message', () => resolve());
      this.process.once('exit', () => resolve());
    });
    this.process.on('message', (reply: (RenderReply & { id: number }) | Ready) => {
      if (!('ready' in reply)) this.settle(reply);
    });
    this.process.on('exit', (exitCode, signal) => this.fail({ reason: 'crashed', exitCode, signal }));
    this.process.on('error', () => this.fail({ reason: 'crashed', exitCode: null, signal: null }));
    this.idle();
  }

  /** An idle child must not hold the worker's process open at exit. */
  idle(): void {
    this.process.unref();
    this.process.channel?.unref();
  }

  busy(): void {
    this.process.ref();
    this.process.channel?.ref();
  }

  private settle(reply: RenderReply & { id: number }): void {
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return;
    this.pending.delete(reply.id);
    if (reply.ok) return pending.resolve(reply.value);
    const { code, message, details } = reply.error;
    pending.reject(
      code === undefined ? new Error(message) : new PermanentError(code as PermanentCode, message, { details: details ?? {} }),
    );
  }

  /** The first failure wins; the child is killed and every call in flight gets the failure. */
  fail(failure: RenderFailure): void {
    this.failure ??= failure;
    this.process.kill('SIGKILL');
    for (const pending of this.pending.values()) pending.reject(new RenderFailureError(this.failure));
    this.pending.clear();
  }

  call(request: RenderRequest): Promise<unknown> {
    if (this.failure !== undefined) return Promise.reject(new RenderFailureError(this.failure));
    const id = this.nextId++;
    const { timeoutMs, maxMemoryMb } = this.settings;
    return new Promise<unknown>((resolve, reject) => {
      const deadline = setTimeout(() => this.fail({ reason: 'timeout', timeoutMs }), timeoutMs);
      const watch = setInterval(() => {
        const rssMb = this.process.pid === undefined ? undefined : residentMb(this.process.pid);
        if (rssMb !== undefined && rssMb > maxMemoryMb) this.fail({ reason: 'out_of_memory', rssMb, maxMemoryMb });
      }, RSS_POLL_MS);
      const done = (): void => {
        clearTimeout(deadline);
        clearInterval(watch);
      };
      this.pending.set(id, {
        resolve: (value) => (done(), resolve(value)),
        reject: (error) => (done(), reject(error)),
      });
      this.process.send({ id, ...request }, (error) => {
        if (error !== null) this.fail({ reason: 'crashed', exitCode: null, signal: null });
      });
    });
  }
}

export class RenderPool {
  private readonly idleChildren: Child[] = [];
  private readonly waiting: ((child: Child) => void)[] = [];
  private running = 0;
  private closed = false;

  constructor(readonly settings: RenderPoolSettings) {}

  async session(): Promise<RenderSession> {
    const child = await this.lease();
    child.busy();
    await child.ready;
    let released = false;
    return {
      call: <T>(request: RenderRequest) => child.call(request) as Promise<T>,
      release: () => {
        if (released) return;
        released = true;
        this.giveBack(child);
      },
    };
  }

  private lease(): Promise<Child> {
    if (this.closed) return Promise.reject(new Error('the render pool is closed'));
    const idle = this.idleChildren.pop();
    if (idle !== undefined) return Promise.resolve(idle);
    if (this.running < this.settings.workers) {
      this.running++;
      return Promise.resolve(this.spawn());
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private spawn(): Child {
    const child = new Child(this.settings);
    child.process.on('exit', () => {
      const index = this.idleChildren.indexOf(child);
      if (index >= 0) {
        this.idleChildren.splice(index, 1);
        this.running--;
      }
    });
    return child;
  }

  private giveBack(child: Child): void {
    child.idle();
    const healthy = child.failure === undefined && child.process.exitCode === null && child.process.signalCode === null;
    const next = this.waiting.shift();
    if (next !== undefined) {
      const replacement = healthy ? child : this.spawn();
      if (!healthy) child.fail(child.failure ?? { reason: 'crashed', exitCode: null, signal: null });
      next(replacement);
      return;
    }
    if (healthy && !this.closed) {
      this.idleChildren.push(child);
      return;
    }
    this.running--;
    child.fail(child.failure ?? { reason: 'crashed', exitCode: null, signal: null });
  }

  /** Ends every child; sessions in flight fail. */
  async close(): Promise<void> {
    this.closed = true;
    const children = this.idleChildren.splice(0);
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.process.exitCode !== null || child.process.signalCode !== null) return resolve();
            child.process.once('exit', () => resolve());
            child.process.disconnect();
          }),
      ),
    );
    this.running -= children.length;
  }

  /** Live child processes (for tests and ops). */
  get size(): number {
    return this.running;
  }
}

const pools = new Map<string, RenderPool>();

/** One pool per distinct settings in a process (normally one: the configuration's). */
export function renderPool(settings: RenderPoolSettings): RenderPool {
  const key = JSON.stringify([settings.workers, settings.timeoutMs, settings.maxMemoryMb]);
  let pool = pools.get(key);
  if (pool === undefined) {
    pool = new RenderPool(settings);
    pools.set(key, pool);
  }
  return pool;
}

/** Stops every pool's children (at host stop, and after tests). */
export async function closeRenderPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((pool) => pool.close()));
}

/** Turns an error from a session into the project's kinds; `context` names the file and page. */
export function renderFailure(error: unknown, context: { page?: number; setting: string }): Error {
  if (!(error instanceof RenderFailureError)) return ensureError(error);
  const { failure } = error;
  const where = context.page === undefined ? '' : ` on page ${context.page}`;
  if (failure.reason === 'timeout') {
    return new PermanentError(
      'document_too_complex',
      `expected the file to be drawn within ${failure.timeoutMs} ms (${context.setting}), the renderer was still busy${where} and was stopped`,
      {
        cause: error,
        details: {
          exceeded: 'render time',
          limit: failure.timeoutMs,
          setting: context.setting,
          ...(context.page === undefined ? {} : { page: context.page }),
        },
      },
    );
  }
  return new PermanentError(
    'render_failed',
    `the renderer ${failure.reason === 'out_of_memory' ? `ran out of memory${where}` : `crashed${where}`}: ${error.message}`,
    {
      cause: error,
      details: { ...failure, ...(context.page === undefined ? {} : { page: context.page }) },
    },
  );
}
