/**
 * The local host: drives the function app's own registrations against real storage with the trigger
 * semantics of the Functions host (host.json's queue settings, leases, poison queues, HTTP routes, timer
 * schedules) and of the Event Grid subscription that feeds enqueueUpload (BlobCreated events, retries,
 * dead letters). It is a development host; the pipeline does not know which host it runs under. It opens
 * no port itself: `invokeHttp` serves whoever listens (the ops server).
 */
import { randomUUID } from 'node:crypto';
import functions from '@azure/functions';
import type { Config } from '../config.js';
import { hostSettings as readHostSettings, encodeMessage, type HostSettings } from '../hostSettings.js';
import type { Logger } from '../log.js';
import { BLOB_CREATED_SUBSCRIPTION, DATA_CONNECTION, SETTINGS } from '../names.js';
import type { JobServices } from '../pipeline/jobServices.js';
import { createJobServices, ensureStorage, useRuntime, type JobServicesOptions } from '../runtime.js';
import type { StorageClients } from '../storage/clients.js';
import { BlobCreatedEvents, RECEIPTS_CONTAINER } from './blobCreatedEvents.js';
import { loadFunctionApp, resolveBindingExpression, triggerOf, type Binding, type RegisteredFunction } from './functionApp.js';
import {
  httpRouteOf,
  matchRoute,
  toHttpRequest,
  toLocalResponse,
  type HttpRoute,
  type LocalHttpRequest,
  type LocalHttpResponse,
} from './httpTrigger.js';
import { QueueTrigger } from './queueTrigger.js';
import { TimerTrigger, parseSchedule } from './timerTrigger.js';

const { InvocationContext } = functions;
const RETURN_KEY = '$return';

export interface LocalHostOptions {
  config: Config;
  storage: StorageClients;
  logger: Logger;
  services?: Omit<JobServicesOptions, 'storage' | 'logger'>;
  host?: HostSettings;
  /** The Functions host keeps a running message invisible for 10 minutes, renewed while it runs. */
  leaseMs?: number;
  /** How often the input container is scanned for new blobs (the emulated BlobCreated events). */
  blobPollMs?: number;
  /** Waits between delivery attempts of an event; Event Grid's schedule by default. */
  eventRetryDelaysMs?: readonly number[];
  hostId?: string;
}

type Trigger = { stop(): Promise<void> };

export class LocalHost {
  private constructor(
    readonly services: JobServices,
    readonly functions: RegisteredFunction[],
    private readonly storage: StorageClients,
    private readonly triggers: Trigger[],
    private readonly logger: Logger,
    private readonly routes: HttpRoute[],
    private readonly settings: Record<string, string>,
    private readonly host: HostSettings,
  ) {}

  static async start(options: LocalHostOptions): Promise<LocalHost> {
    const { config, storage, logger } = options;
    const host = options.host ?? readHostSettings();
    const services = createJobServices(config, {
      ...options.services,
      storage,
      logger,
      messageEncoding: host.queues.messageEncoding,
      functionTimeoutMs: host.functionTimeoutMs,
    });
    useRuntime({ services, storage });
    await ensureStorage(storage, config);
    const registered = await loadFunctionApp();
    // Binding expressions resolve from the same settings the worker was configured with.
    const settings: Record<string, string> = {
      [SETTINGS.inputContainer]: config.names.inputContainer,
      [SETTINGS.resultsContainer]: config.names.resultsContainer,
      [SETTINGS.jobsQueue]: config.names.jobsQueue,
      [SETTINGS.metricsSchedule]: config.metricsSchedule,
      [SETTINGS.strandedSweepSchedule]: config.strandedSweepSchedule,
    };
    const triggers: Trigger[] = [];
    const routes: HttpRoute[] = [];
    const local = new LocalHost(services, registered, storage, triggers, logger, routes, settings, host);
    for (const fn of registered) {
      const trigger = triggerOf(fn);
      if (trigger.type === 'queueTrigger' && trigger['connection'] !== DATA_CONNECTION)
        throw new Error(`${fn.name}: the local host serves only the "${DATA_CONNECTION}" connection`);
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
      } else if (trigger.type === 'eventGridTrigger') {
        // The one event subscription (src/names.ts), as scripts/infra creates it in Azure.
        if (fn.name !== BLOB_CREATED_SUBSCRIPTION.functionName) {
          logger.warn('host.event_subscription_missing', { function: fn.name });
          continue;
        }
        const events = new BlobCreatedEvents({
          hostId: options.hostId ?? 'local',
          container: storage.blobs.getContainerClient(
            resolveBindingExpression(`%${BLOB_CREATED_SUBSCRIPTION.containerSetting}%`, settings),
          ),
          receipts: storage.blobs.getContainerClient(RECEIPTS_CONTAINER),
          deadLetters: storage.blobs.getContainerClient(config.names.deadLetterContainer),
          logger,
          pollMs: options.blobPollMs ?? 1_000,
          concurrency: host.queues.batchSize,
          ...(options.eventRetryDelaysMs === undefined ? {} : { retryDelaysMs: options.eventRetryDelaysMs }),
          deliver: async (event) => {
            await local.invoke(fn, trigger, event, {}, randomUUID(), settings, host);
          },
        });
        await events.start();
        triggers.push(events);
      } else if (trigger.type === 'httpTrigger') {
        routes.push(httpRouteOf(fn, trigger));
      } else if (trigger.type === 'timerTrigger') {
        const timerTrigger = new TimerTrigger({
          functionName: fn.name,
          schedule: parseSchedule(resolveBindingExpression(String(trigger['schedule']), settings)),
          logger,
          handler: async ({ timer, invocationId }) => {
            await local.invoke(fn, trigger, timer, {}, invocationId, settings, host);
          },
        });
        timerTrigger.start();
        triggers.push(timerTrigger);
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
    await this.services.provider.close();
    useRuntime(undefined);
    this.logger.info('host.stopped');
  }

  /**
   * Serves a request as the host's HTTP trigger does; undefined when no function's route matches, so
   * the caller can serve its own paths.
   */
  async invokeHttp(request: LocalHttpRequest): Promise<LocalHttpResponse | undefined> {
    const match = matchRoute(this.routes, request.method, request.url.pathname);
    if (match === undefined) return undefined;
    if ('methodNotAllowed' in match) return { status: 405, headers: [], body: Buffer.alloc(0) };
    const { route, params } = match;
    const invocationId = randomUUID();
    const returned = await this.invoke(route.fn, route.trigger, toHttpRequest(request, params), {}, invocationId, this.settings, this.host);
    return toLocalResponse(returned);
  }

  /** Calls a handler with a context shaped as the Node worker shapes it, writes its output bindings, and returns its value. */
  private async invoke(
    fn: RegisteredFunction,
    trigger: Binding,
    input: unknown,
    triggerMetadata: Record<string, unknown>,
    invocationId: string,
    settings: Record<string, string>,
    host: HostSettings,
  ): Promise<unknown> {
    // The return value's binding is keyed `$return`; the others by their own names.
    const outputs = Object.entries(fn.bindings).filter(([, binding]) => binding.direction === 'out');
    const context = new InvocationContext({
      invocationId,
      functionName: fn.name,
      triggerMetadata,
      options: {
        trigger: trigger as never,
        extraOutputs: outputs.filter(([key]) => key !== RETURN_KEY).map(([, binding]) => binding) as never[],
      },
      logHandler: (level, ...args) => this.logger.info('function.log', { function: fn.name, level, message: args.map(String).join(' ') }),
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${fn.name} exceeded functionTimeout (${host.functionTimeoutMs} ms)`)),
        host.functionTimeoutMs,
      );
    });
    let returned: unknown;
    try {
      returned = await Promise.race([Promise.resolve(fn.handler(input, context)), timeout]);
    } finally {
      clearTimeout(timer);
    }
    for (const [key, binding] of outputs) {
      const value = key === RETURN_KEY ? returned : context.extraOutputs.get(binding.name);
      // An HTTP response is the caller's to send (invokeHttp).
      if (value === undefined || value === null || binding.type === 'http') continue;
      if (binding.type !== 'queue') throw new Error(`${fn.name}: output binding type "${binding.type}" is not emulated`);
      const queue = this.storage.queues.getQueueClient(resolveBindingExpression(String(binding['queueName']), settings));
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      // The host writes output messages in the encoding host.json declares, as its trigger reads them.
      await queue.sendMessage(encodeMessage(text, host.queues.messageEncoding));
    }
    return returned;
  }
}
