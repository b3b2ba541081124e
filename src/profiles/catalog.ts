/**
 * Which profiles exist and which one an upload gets: the built-ins plus the profile file's, the path
 * rules and the default. Rules and the default come from the profile file or from the environment
 * (PROFILE_RULES, DEFAULT_PROFILE), never both: two sources that could disagree are refused at start.
 */
import { ConfigError } from '../errors.js';
import { SETTINGS } from '../names.js';
import { builtInProfiles, type ProfileRegistry } from './index.js';
import type { ProfileFile } from './profileConfig.js';
import type { PathRule } from './types.js';

export interface ProfileCatalog {
  profiles: ProfileRegistry;
  /** The first matching prefix wins. */
  rules: readonly PathRule[];
  defaultProfile: string;
  /** Uploads under these prefixes are analysed only through the comparison manifests that name them. */
  manifestOnlyPrefixes: readonly string[];
}

/** When neither the profile file nor PROFILE_RULES sets rules. */
export const DEFAULT_RULES: readonly PathRule[] = [
  { prefix: 'invoices/', profile: 'invoice' },
  { prefix: 'receipts/', profile: 'receipt' },
];
export const DEFAULT_PROFILE = 'describe';

export interface CatalogSources {
  file?: ProfileFile | undefined;
  /** From PROFILE_RULES; undefined when unset. */
  envRules?: PathRule[] | undefined;
  /** From DEFAULT_PROFILE; undefined when unset. */
  envDefault?: string | undefined;
}

export function buildCatalog({ file, envRules, envDefault }: CatalogSources): ProfileCatalog {
  if (file?.rules !== undefined && envRules !== undefined) {
    throw new ConfigError(SETTINGS.profileRules, `is set, and ${file.label} has "rules" too; keep the rules in one place`);
  }
  if (file?.defaultProfile !== undefined && envDefault !== undefined) {
    throw new ConfigError(SETTINGS.defaultProfile, `is set, and ${file.label} has "default" too; keep the default in one place`);
  }
  const profiles = new Map([...builtInProfiles, ...(file?.profiles ?? []).map((profile) => [profile.name, profile] as const)]);
  const known = (): string => [...profiles.keys()].join(', ');
  for (const rule of envRules ?? []) {
    if (!profiles.has(rule.profile)) {
      throw new ConfigError(SETTINGS.profileRules, `rule "${rule.prefix}=${rule.profile}" names an unknown profile; known: ${known()}`);
    }
  }
  if (envDefault !== undefined && !profiles.has(envDefault)) {
    throw new ConfigError(SETTINGS.defaultProfile, `"${envDefault}" is not a known profile; known: ${known()}`);
  }
  return {
    profiles,
    rules: envRules ?? file?.rules ?? DEFAULT_RULES,
    defaultProfile: envDefault ?? file?.defaultProfile ?? DEFAULT_PROFILE,
    manifestOnlyPrefixes: file?.manifestOnlyPrefixes ?? [],
  };
}

/** Blob metadata first, then the first matching path prefix, then the default. */
export function selectProfileName(catalog: ProfileCatalog, blobName: string, requested: string | undefined): string {
  if (requested !== undefined && requested.trim() !== '') return requested.trim();
  return catalog.rules.find((rule) => blobName.startsWith(rule.prefix))?.profile ?? catalog.defaultProfile;
}

export function isManifestOnly(catalog: ProfileCatalog, blobName: string): boolean {
  return catalog.manifestOnlyPrefixes.some((prefix) => blobName.startsWith(prefix));
}
