import functions, { type InvocationContext } from '@azure/functions';
import { BINDING_EXPRESSIONS, DATA_CONNECTION, FUNCTION_NAMES } from '../names.js';
import { processJob as runJob } from '../pipeline/processJob.js';
import { currentServices } from '../runtime.js';
import { deliveryOf } from '../triggerMetadata.js';

const { app } = functions;

/** Any upload's job (an image, a document, a manifest): returns once it has its final record; throws when a retry can help. */
export async function processJob(message: unknown, context: InvocationContext): Promise<void> {
  await runJob(currentServices(), message, deliveryOf(context));
}

app.storageQueue(FUNCTION_NAMES.processJob, {
  queueName: BINDING_EXPRESSIONS.jobsQueue,
  connection: DATA_CONNECTION,
  handler: processJob,
});
