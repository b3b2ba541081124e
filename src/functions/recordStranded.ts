import functions, { type InvocationContext, type Timer } from '@azure/functions';
import { hostSettings } from '../hostSettings.js';
import { BINDING_EXPRESSIONS, FUNCTION_NAMES } from '../names.js';
import { strandedWork, sweepStranded } from '../pipeline/sweepStranded.js';
import { currentStorage, currentServices } from '../runtime.js';

const { app } = functions;

/** What the hosts leave unread (`<poison>-poison`, Event Grid's dead letters) still ends with a record. */
export async function recordStranded(_timer: Timer, _context: InvocationContext): Promise<void> {
  const services = currentServices();
  await sweepStranded(services, strandedWork(currentStorage(), services.config.names), hostSettings().queues.maxDequeueCount);
}

app.timer(FUNCTION_NAMES.recordStranded, {
  schedule: BINDING_EXPRESSIONS.strandedSweepSchedule,
  runOnStartup: false,
  handler: recordStranded,
});
