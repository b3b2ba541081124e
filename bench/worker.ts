/**
 * The worker under test, in a process of its own so that its peak RSS is its own: the local host (the
 * app's function registrations with host.json's queue semantics) on the bench's Azurite, configured
 * from the environment the bench sets. Talks to the bench over IPC: "ready" once it listens, and on
 * "stop" it stops (running jobs finish) and answers with its peak RSS and CPU time.
 */
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { LocalHost } from '../src/local/localHost.js';
import { createStorageClients } from '../src/storage/clients.js';
import { hostSettings } from '../src/hostSettings.js';

export interface WorkerReport {
  type: 'stopped';
  /** process.resourceUsage().maxRSS, in bytes. */
  peakRssBytes: number;
  cpuMs: number;
}

const config = loadConfig(process.env);
if (config.storage === undefined) throw new Error('the bench passes DataStorage');
const host = await LocalHost.start({ config, storage: createStorageClients(config.storage), logger: createLogger(config.logLevel), host: { ...hostSettings(), queues: { ...hostSettings().queues, batchSize: Number(process.env.XB ?? 8), newBatchThreshold: Number(process.env.XT ?? 4) } } });
process.send?.({ type: 'ready' });
process.stderr.write(`READY RSS ${Math.round(process.memoryUsage().rss/1048576)} heap ${Math.round(process.memoryUsage().heapUsed/1048576)}\n`);
import { monitorEventLoopDelay } from 'node:perf_hooks';
const lag = monitorEventLoopDelay({ resolution: 10 }); lag.enable();
const peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 }; setInterval(() => { const m = process.memoryUsage(); for (const k of Object.keys(peak) as (keyof typeof peak)[]) peak[k] = Math.max(peak[k], Math.round(m[k] / 1048576)); }, 200).unref();

process.on('message', (message: { type?: string }) => {
  if (message.type !== 'stop') return;
  process.stderr.write(`MEM ${JSON.stringify(peak)}\n`);
  process.stderr.write(`EXT ${(globalThis as any).__ext} n ${(globalThis as any).__extn}\n`);
  process.stderr.write(`WORKER LAG p50 ${lag.percentile(50)/1e6} p99 ${lag.percentile(99)/1e6} max ${lag.max/1e6}\n`);
  void host.stop().then(() => {
    const usage = process.resourceUsage();
    const report: WorkerReport = { type: 'stopped', peakRssBytes: usage.maxRSS * 1024, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 };
    process.send?.(report, () => process.exit(0));
  });
});
