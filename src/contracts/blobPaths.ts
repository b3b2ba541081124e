/**
 * Where each blob derived from an upload's name lives: its record in the results container, its attempt
 * history and parked poisoned job in the state container. Downstream readers rely on `resultPath`.
 */
import { createHash } from 'node:crypto';

export function resultPath(blobName: string): string {
  return `${blobName}.json`;
}

/** Messages and uploads that name no usable blob get their record here, keyed by their content. */
export const INVALID_MESSAGES_PREFIX = '_invalid-messages/';

export function invalidMessagePath(key: string): string {
  return `${INVALID_MESSAGES_PREFIX}${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`;
}

export function attemptPath(blobName: string): string {
  return `attempts/${blobName}.json`;
}

export const POISONED_PREFIX = 'poisoned/';

export function poisonedPath(blobName: string): string {
  return `${POISONED_PREFIX}${blobName}.json`;
}
