/**
 * The local host: drives the function app's own registrations against real storage with the trigger
 * semantics of the Functions host (host.json's queue settings, leases, poison queues, blob receipts).
 * It is a development host; the pipeline does not know which host it runs under.
 */
import functions from '@azure/functions';
import type { Config } from '../config.js';
import { hostSettings as readHostSettings, encodeMessage, type HostSettings } from '../hostSettings.js';
import type { Logger } from '../log.js';
import { DATA_CONNECTION, SETTINGS } from '../names.js';
import type { Worker } from '../pipeline/worker.js';
import { createWorker, ensureStorage, useWorker, type WorkerOptions } from '../runtime.js';
import type { StorageClients } from '../storage/clients.js';
import { BlobTrigger, BLOB_TRIGGER_POISON_QUEUE, RECEIPTS_CONTAINER } from './blobTrigger.js';
import { loadFunctionApp, resolveBindingExpression, triggerOf, type Binding, type RegisteredFunction } from './functionApp.js';
import { QueueTrigger } from './queueTrigger.js';

const { InvocationContext } = functions;
const RETURN_KEY = '$return';

export interface LocalHostOptions {
  config: Config;
  storage: StorageClients;
  logger: Logger;
  worker?: Omit<WorkerOptions, 'storage' | 'logger'>;
  host?: HostSettings;
  /** The Functions host keeps a running message invisible for 10 minutes, renewed while it runs. */
  leaseMs?: number;
  blobPollMs?: number;
  hostId?: string;
}

type Trigger = { stop(): Promise<void> };

export class LocalHost {
  private constructor(
    readonly worker: Worker,
    readonly functions: RegisteredFunction[],
    private readonly storage: StorageClients,
    private readonly triggers: Trigger[],
    private readonly logger: Logger,
  ) {}

  static async start(options: LocalHostOptions): Promise<LocalHost> {
    const { config, storage, logger } = options;
    const host = options.host ?? readHostSettings();
    const worker = createWorker(config, { ...options.worker, storage, logger });
    useWorker(worker);
    await ensureStorage(storage, config);
    const registered = await loadFunctionApp();
    // Binding expressions resolve from the same settings the worker was configured with.
    const settings: Record<string, string> = {
      [SETTINGS.inputContainer]: config.names.inputContainer,
      [SETTINGS.resultsContainer]: config.names.resultsContainer,
      [SETTINGS.jobsQueue]: config.names.jobsQueue,
    };
    const triggers: Trigger[] = [];
    const local = new LocalHost(worker, registered, storage, triggers, logger);
    for (const fn of registered) {
      const trigger = triggerOf(fn);
      if (trigger['connection'] !== DATA_CONNECTION) throw new Error(`${fn.name}: the local host serves only the "${DATA_CONNECTION}" connection`);
      if (trigger.type === 'queueTrigger') {
        const queueName = resolveBindingExpression(String(trigger['queueName']), settings);
        const queueTrigger = new QueueTrigger({
          queue: storage.queues.getQueueClient(queueName),
          poison: storage.queues.getQueueClient(`${queueName}-poison`),
          settings: host.queues,
          leaseMs: options.leaseMs ?? 10 * 60_000,
          logger,
          handler: async ({ item, triggerMetadata, invocationId }) => {
            await local.invoke(fn, trigger, item, triggerMetadata, invocationId, settings, host);
          },
        });
        queueTrigger.start();
        triggers.push(queueTrigger);
      } else if (trigger.type === 'blobTrigger') {
        const [container] = resolveBindingExpression(String(trigger['path']), settings).split('/');
        const blobTrigger = new BlobTrigger({
          functionName: fn.name,
          hostId: options.hostId ?? 'local',
          container: storage.blobs.getContainerClient(container ?? ''),
          receipts: storage.blobs.getContainerClient(RECEIPTS_CONTAINER),
          poison: storage.queues.getQueueClient(BLOB_TRIGGER_POISON_QUEUE),
          logger,
          pollMs: options.blobPollMs ?? 1_000,
          concurrency: host.queues.batchSize,
          handler: async ({ content, triggerMetadata, invocationId }) => {
            await local.invoke(fn, trigger, content, triggerMetadata, invocationId, settings, host);
          },
        });
        await blobTrigger.start();
        triggers.push(blobTrigger);
      } else {
        logger.warn('host.trigger_not_emulated', { function: fn.name, type: trigger.type });
      }
    }
    logger.info('host.started', { functions: registered.map((fn) => `${fn.name} (${triggerOf(fn).type})`) });
    return local;
  }

  /** Stops taking work, lets running invocations finish, and releases the provider's resources. */
  async stop(): Promise<void> {
    await Promise.all(this.triggers.map((trigger) => trigger.stop()));
    await this.worker.provider.close();
    useWorker(undefined);
    this.logger.info('host.stopped');
  }

  /** Calls a handler with a context shaped as the Node worker shapes it, then writes its output bindings. */
  private async invoke(
    fn: RegisteredFunction,
    trigger: Binding,
    input: unknown,
    triggerMetadata: Record<string, unknown>,
    invocationId: string,
    settings: Record<string, string>,
    host: HostSettings,
  ): Promise<void> {
    // The return value's binding is keyed `$return`; the others by their own names.
    const outputs = Object.entries(fn.bindings).filter(([, binding]) => binding.direction === 'out');
    const context = new InvocationContext({
      invocationId,
      functionName: fn.name,
      triggerMetadata,
      options: { trigger: trigger as never, extraOutputs: outputs.filter(([key]) => key !== RETURN_KEY).map(([, binding]) => binding) as never[] },
      logHandler: (level, ...args) => this.logger.info('function.log', { function: fn.name, level, message: args.map(String).join(' ') }),
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${fn.name} exceeded functionTimeout (${host.functionTimeoutMs} ms)`)), host.functionTimeoutMs);
    });
    let returned: unknown;
    try {
      returned = await Promise.race([Promise.resolve(fn.handler(input, context)), timeout]);
    } finally {
      clearTimeout(timer);
    }
    for (const [key, binding] of outputs) {
      const value = key === RETURN_KEY ? returned : context.extraOutputs.get(binding.name);
      if (value === undefined || value === null) continue;
      if (binding.type !== 'queue') throw new Error(`${fn.name}: output binding type "${binding.type}" is not emulated`);
      const queue = this.storage.queues.getQueueClient(resolveBindingExpression(String(binding['queueName']), settings));
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      // The host writes output messages in the encoding host.json declares, as its trigger reads them.
      await queue.sendMessage(encodeMessage(text, host.queues.messageEncoding));
    }
  }
}
