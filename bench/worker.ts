/**
 * The worker under test, in a process of its own so that its peak RSS is its own: the local host (the
 * app's function registrations with host.json's queue semantics) on the bench's Azurite, configured
 * from the environment the bench sets. Talks to the bench over IPC: "ready" once it listens, and on
 * "stop" it stops (running jobs finish) and answers with its peak RSS.
 */
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { LocalHost } from '../src/local/localHost.js';
import { createStorageClients } from '../src/storage/clients.js';

export interface WorkerReport {
  type: 'stopped';
  /** process.resourceUsage().maxRSS, in bytes. */
  peakRssBytes: number;
}

const config = loadConfig(process.env);
if (config.storage === undefined) throw new Error('the bench passes DataStorage');
const host = await LocalHost.start({ config, storage: createStorageClients(config.storage), logger: createLogger(config.logLevel) });
process.send?.({ type: 'ready' });

process.on('message', (message: { type?: string }) => {
  if (message.type !== 'stop') return;
  void host.stop().then(() => {
    const report: WorkerReport = { type: 'stopped', peakRssBytes: process.resourceUsage().maxRSS * 1024 };
    process.send?.(report, () => process.exit(0));
  });
});
