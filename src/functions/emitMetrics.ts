import functions, { type InvocationContext, type Timer } from '@azure/functions';
import { BINDING_EXPRESSIONS, FUNCTION_NAMES } from '../names.js';
import { emitMetricLines } from '../ops/metricLines.js';
import { collectMetrics } from '../ops/snapshot.js';
import { currentStorage, currentServices } from '../runtime.js';

const { app } = functions;

/** Publishes the ops figures as metric log lines, which the alerts in infra/app/alerts.bicep query. */
export async function emitMetrics(_timer: Timer, _context: InvocationContext): Promise<void> {
  const services = currentServices();
  emitMetricLines(services.logger, await collectMetrics({ storage: currentStorage(), names: services.config.names }));
}

app.timer(FUNCTION_NAMES.emitMetrics, { schedule: BINDING_EXPRESSIONS.metricsSchedule, runOnStartup: false, handler: emitMetrics });
