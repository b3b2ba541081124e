import type { QueueClient } from '@azure/storage-queue';
import { decodeMessage, encodeMessage, isBase64, type MessageEncoding } from '../hostSettings.js';
import { serializeJobMessage, type JobMessage } from '../contracts/jobMessage.js';

/** The jobs queue, written in the encoding its trigger reads (host.json's `messageEncoding`). */
export class JobQueue {
  constructor(
    private readonly client: QueueClient,
    private readonly encoding: MessageEncoding,
  ) {}

  /** `delaySeconds`: the job stays invisible that long (a deferral). */
  async send(job: JobMessage, { delaySeconds }: { delaySeconds?: number } = {}): Promise<void> {
    const text = encodeMessage(serializeJobMessage(job), this.encoding);
    await this.client.sendMessage(text, delaySeconds === undefined ? {} : { visibilityTimeout: delaySeconds });
  }

  /** A message's text as the trigger would decode it; text the host could not decode is kept as it is. */
  decode(messageText: string): string {
    return this.encoding === 'base64' && isBase64(messageText) ? decodeMessage(messageText, 'base64') : messageText;
  }
}
