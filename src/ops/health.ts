/**
 * Liveness: the configuration loads, the data storage answers, and the model endpoint (when one is
 * configured) answers at all. Each check is cheap (two storage reads, one unauthenticated request to the
 * endpoint) and bounded by a timeout. Reasons name the failing check and a setting or status, never a
 * value, an endpoint or a message from the service: the endpoint is anonymous.
 */
import type { Config, ProviderSettings } from '../config.js';
import { ConfigError } from '../config.js';
import type { StorageClients } from '../storage/clients.js';

export const HEALTH_TIMEOUT_MS = 3000;

export type CheckResult = { ok: true; ms: number } | { ok: false; ms: number; reason: string } | { ok: true; skipped: string };

/** A storage or network failure in a few safe words: a status or error code, never the service's message. */
export function describeFailure(error: unknown): string {
  const { statusCode, code, name } = (error ?? {}) as { statusCode?: unknown; code?: unknown; name?: unknown };
  if (name === 'AbortError' || name === 'TimeoutError') return 'timed out';
  if (typeof statusCode === 'number') return `HTTP ${statusCode}${typeof code === 'string' ? ` ${code}` : ''}`;
  return typeof code === 'string' ? code : 'unreachable';
}

export interface HealthReport {
  status: 'healthy' | 'unhealthy';
  checks: { config: CheckResult; storage?: CheckResult; model?: CheckResult };
  reasons: string[];
}

export interface HealthSources {
  /** Loads the settings and clients; throws ConfigError when a setting is wrong. */
  load: () => { config: Config; storage: StorageClients };
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
}

async function timed(check: (signal: AbortSignal) => Promise<void>, timeoutMs: number, what: string): Promise<CheckResult> {
  const started = performance.now();
  try {
    await check(AbortSignal.timeout(timeoutMs));
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { ok: false, ms: Math.round(performance.now() - started), reason: `${what}: ${describeFailure(error)}` };
  }
}

/** The URL the provider calls, without credentials or query. */
export function modelEndpoint(provider: ProviderSettings): string | undefined {
  if (provider.kind === 'azure-openai') return provider.endpoint;
  if (provider.kind === 'openai') return provider.baseUrl ?? 'https://api.openai.com/v1';
  return undefined;
}

export async function checkHealth({ load, fetch = globalThis.fetch, timeoutMs = HEALTH_TIMEOUT_MS }: HealthSources): Promise<HealthReport> {
  const started = performance.now();
  let loaded: ReturnType<HealthSources['load']>;
  try {
    loaded = load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const reason = `configuration: ${error.setting} is invalid or missing`;
    return {
      status: 'unhealthy',
      checks: { config: { ok: false, ms: Math.round(performance.now() - started), reason } },
      reasons: [reason],
    };
  }
  const { config, storage } = loaded;
  const configCheck: CheckResult = { ok: true, ms: Math.round(performance.now() - started) };
  const endpoint = modelEndpoint(config.provider);
  const [storageCheck, modelCheck] = await Promise.all([
    timed(
      async (abortSignal) => {
        await Promise.all([
          storage.queues.getQueueClient(config.names.jobsQueue).getProperties({ abortSignal }),
          storage.blobs.getContainerClient(config.names.resultsContainer).getProperties({ abortSignal }),
        ]);
      },
      timeoutMs,
      'storage',
    ),
    endpoint === undefined
      ? Promise.resolve<CheckResult>({ ok: true, skipped: 'no model endpoint configured (offline provider)' })
      : timed(
          async (signal) => {
            // Any HTTP answer (401 and 404 included) shows the endpoint is reachable; no credential is sent.
            const response = await fetch(endpoint, { method: 'GET', signal, redirect: 'manual' });
            await response.body?.cancel();
          },
          timeoutMs,
          'model endpoint',
        ),
  ]);
  const checks = { config: configCheck, storage: storageCheck, model: modelCheck };
  const reasons = [storageCheck, modelCheck].flatMap((check) => ('reason' in check ? [check.reason] : []));
  return { status: reasons.length === 0 ? 'healthy' : 'unhealthy', checks, reasons };
}
