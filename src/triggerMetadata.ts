import type { InvocationContext } from '@azure/functions';
import type { Delivery } from './pipeline/jobServices.js';

/** The queue trigger's own delivery facts (the job body has no fields that could shadow them). */
export function deliveryOf(context: InvocationContext): Delivery {
  const metadata = context.triggerMetadata ?? {};
  const dequeueCount = Number(metadata['dequeueCount'] ?? 1);
  const id = metadata['id'];
  return {
    dequeueCount: Number.isInteger(dequeueCount) && dequeueCount > 0 ? dequeueCount : 1,
    ...(typeof id === 'string' ? { messageId: id } : {}),
  };
}
