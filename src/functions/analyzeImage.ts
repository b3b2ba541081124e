import functions, { type InvocationContext } from '@azure/functions';
import { BINDING_EXPRESSIONS, DATA_CONNECTION, FUNCTION_NAMES } from '../names.js';
import { processJob } from '../pipeline/processJob.js';
import { currentWorker } from '../runtime.js';
import { deliveryOf } from '../triggerMetadata.js';

const { app } = functions;

/** Returns when the job has its final record; throws (so the queue redelivers) when a retry can help. */
export async function analyzeImage(message: unknown, context: InvocationContext): Promise<void> {
  await processJob(currentWorker(), message, deliveryOf(context));
}

app.storageQueue(FUNCTION_NAMES.analyzeImage, {
  queueName: BINDING_EXPRESSIONS.jobsQueue,
  connection: DATA_CONNECTION,
  handler: analyzeImage,
});
