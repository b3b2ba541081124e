import functions, { type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { FUNCTION_NAMES, HTTP_ROUTES } from '../names.js';
import { describeFailure } from '../ops/health.js';
import { collectMetrics } from '../ops/snapshot.js';
import { currentStorage, currentServices } from '../runtime.js';

const { app } = functions;

const COLLECT_TIMEOUT_MS = 30_000;

/** Queue depths, the last hour's results by error code, tokens and cost (the shape is MetricsSnapshot). */
export async function metrics(_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  const services = currentServices();
  try {
    const snapshot = await collectMetrics({
      storage: currentStorage(),
      names: services.config.names,
      abortSignal: AbortSignal.timeout(COLLECT_TIMEOUT_MS),
    });
    return { status: 200, jsonBody: snapshot, headers: { 'cache-control': 'no-store' } };
  } catch (error) {
    const reason = `storage: ${describeFailure(error)}`;
    services.logger.warn('metrics.unavailable', { reason });
    return { status: 503, jsonBody: { error: 'metrics unavailable', reason }, headers: { 'cache-control': 'no-store' } };
  }
}

// A function key: the figures are business volumes and costs, and each call lists the results container.
app.http(FUNCTION_NAMES.metrics, { methods: ['GET'], authLevel: 'function', route: HTTP_ROUTES.metrics, handler: metrics });
