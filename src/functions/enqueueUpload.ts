import functions, { type InvocationContext } from '@azure/functions';
import { BINDING_EXPRESSIONS, DATA_CONNECTION, FUNCTION_NAMES } from '../names.js';
import { jobForUpload } from '../pipeline/enqueueJob.js';
import { serializeJobMessage } from '../pipeline/jobMessage.js';
import { currentWorker } from '../runtime.js';

const { app, output } = functions;

const jobsQueue = output.storageQueue({ queueName: BINDING_EXPRESSIONS.jobsQueue, connection: DATA_CONNECTION });

/** A new upload becomes one small job message; the blob's bytes are read later, by the queue worker. */
export async function enqueueUpload(_blob: unknown, context: InvocationContext): Promise<string | undefined> {
  const name = context.triggerMetadata?.['name'];
  if (typeof name !== 'string' || name === '') throw new Error('blob trigger metadata has no "name"');
  const job = await jobForUpload(currentWorker(), name);
  return job === undefined ? undefined : serializeJobMessage(job);
}

app.storageBlob(FUNCTION_NAMES.enqueueUpload, {
  path: `${BINDING_EXPRESSIONS.inputContainer}/{name}`,
  connection: DATA_CONNECTION,
  // Flex Consumption supports only the Event Grid source for blob triggers.
  source: 'EventGrid',
  return: jobsQueue,
  handler: enqueueUpload,
});
