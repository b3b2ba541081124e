import type { PathRule } from '../config.js';
import { describeProfile } from './describe.js';
import { invoiceProfile } from './invoice.js';
import type { Profile } from './types.js';

export type ProfileRegistry = ReadonlyMap<string, Profile>;

export const builtInProfiles: ProfileRegistry = new Map<string, Profile>(
  [describeProfile, invoiceProfile].map((profile) => [profile.name, profile as Profile]),
);

/** Blob metadata first, then the first matching path prefix, then the default. */
export function selectProfileName(blobName: string, requested: string | undefined, rules: readonly PathRule[], fallback: string): string {
  if (requested !== undefined && requested.trim() !== '') return requested.trim();
  return rules.find((rule) => blobName.startsWith(rule.prefix))?.profile ?? fallback;
}
