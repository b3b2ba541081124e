import functions, { type InvocationContext } from '@azure/functions';
import { hostSettings } from '../hostSettings.js';
import { BINDING_EXPRESSIONS, DATA_CONNECTION, FUNCTION_NAMES } from '../names.js';
import { recordPoisonedJob } from '../pipeline/recordPoisonedJob.js';
import { currentServices } from '../runtime.js';
import { deliveryOf } from '../triggerMetadata.js';

const { app } = functions;

/** A job whose retries ran out still ends with a final record. */
export async function recordPoison(message: unknown, context: InvocationContext): Promise<void> {
  await recordPoisonedJob(currentServices(), message, deliveryOf(context), hostSettings().queues.maxDequeueCount);
}

app.storageQueue(FUNCTION_NAMES.recordPoison, {
  queueName: BINDING_EXPRESSIONS.poisonQueue,
  connection: DATA_CONNECTION,
  handler: recordPoison,
});
