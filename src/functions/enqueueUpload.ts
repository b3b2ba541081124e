import functions, { type EventGridEvent } from '@azure/functions';
import { blobOfSubject } from '../blobEvents.js';
import { BINDING_EXPRESSIONS, BLOB_CREATED_SUBSCRIPTION, DATA_CONNECTION, FUNCTION_NAMES } from '../names.js';
import { jobForUpload } from '../pipeline/jobForUpload.js';
import { serializeJobMessage } from '../contracts/jobMessage.js';
import { currentServices } from '../runtime.js';

const { app, output } = functions;

const jobsQueue = output.storageQueue({ queueName: BINDING_EXPRESSIONS.jobsQueue, connection: DATA_CONNECTION });

/**
 * A BlobCreated event becomes one small job message. The event names the upload and nothing reads its
 * bytes here (one HEAD request); the queue worker reads them later, within MAX_BLOB_BYTES.
 */
export async function enqueueUpload(event: EventGridEvent): Promise<string | undefined> {
  const services = currentServices();
  const expected = services.config.names.inputContainer;
  const target = event.eventType === BLOB_CREATED_SUBSCRIPTION.eventType ? blobOfSubject(event.subject) : undefined;
  // The subscription filters these out; an event that slips through must never enqueue another container's blob.
  if (target?.container !== expected) {
    services.logger.warn('upload.event_ignored', {
      eventId: event.id,
      eventType: event.eventType,
      subject: event.subject,
      expected: `${BLOB_CREATED_SUBSCRIPTION.eventType} in ${expected}`,
    });
    return undefined;
  }
  const job = await jobForUpload(services, target.blob);
  return job === undefined ? undefined : serializeJobMessage(job);
}

app.eventGrid(FUNCTION_NAMES.enqueueUpload, {
  return: jobsQueue,
  handler: enqueueUpload,
});
