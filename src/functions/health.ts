import functions, { type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { FUNCTION_NAMES, HTTP_ROUTES } from '../names.js';
import { checkHealth } from '../ops/health.js';
import { currentStorage, currentServices } from '../runtime.js';

const { app } = functions;

/** 200 when the settings load and storage and the model endpoint answer; 503 with the failing checks otherwise. */
export async function health(_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  const report = await checkHealth({ load: () => ({ config: currentServices().config, storage: currentStorage() }) });
  return { status: report.status === 'healthy' ? 200 : 503, jsonBody: report, headers: { 'cache-control': 'no-store' } };
}

// Anonymous: platform health checks and uptime probes carry no key, and the report holds no names or values.
app.http(FUNCTION_NAMES.health, { methods: ['GET'], authLevel: 'anonymous', route: HTTP_ROUTES.health, handler: health });
