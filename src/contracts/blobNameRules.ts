/**
 * Which blob names the worker can handle: the storage service refuses some names in any request (and
 * Azurite does not), and every name is also the stem of the record and state blobs derived from it, so a
 * name is usable only if all of those are. One place, used by the job message and the enqueue step.
 * Rules: learn.microsoft.com/rest/api/storageservices/naming-and-referencing-containers--blobs--and-metadata
 */
import { attemptPath } from './blobPaths.js';
import { poisonedPath } from './blobPaths.js';
import { resultPath } from './blobPaths.js';

/** Azure's limits for a blob name, in characters (UTF-16 code units, the stricter count) and "/" segments. */
export const MAX_BLOB_NAME_CHARS = 1024;
export const MAX_BLOB_NAME_SEGMENTS = 254;

const DERIVED_PATHS = [resultPath, attemptPath, poisonedPath] as const;

/** The longest and deepest derived path decide how long and deep an upload's own name may be. */
const EXTRA_CHARS = Math.max(...DERIVED_PATHS.map((path) => path('').length));
const EXTRA_SEGMENTS = Math.max(...DERIVED_PATHS.map((path) => path('').split('/').length - 1));
export const MAX_UPLOAD_NAME_CHARS = MAX_BLOB_NAME_CHARS - EXTRA_CHARS;
export const MAX_UPLOAD_NAME_SEGMENTS = MAX_BLOB_NAME_SEGMENTS - EXTRA_SEGMENTS;

/** A character the service refuses even percent-encoded: controls, non-characters, private use (as `\uE000`). */
function refusedCharacter(codePoint: number): boolean {
  return (
    codePoint < 0x20 ||
    (codePoint >= 0x7f && codePoint <= 0x9f) ||
    (codePoint >= 0xfdd0 && codePoint <= 0xfdef) ||
    (codePoint & 0xfffe) === 0xfffe ||
    (codePoint >= 0xe000 && codePoint <= 0xf8ff)
  );
}

function codePointLabel(codePoint: number): string {
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Why the worker cannot use `name` as an upload's name, or undefined when it can. */
export function blobNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  for (const character of name) {
    const codePoint = character.codePointAt(0) ?? 0;
    // Iterating by code point leaves only unpaired surrogates in this range: no URL can carry them.
    if (codePoint >= 0xd800 && codePoint <= 0xdfff)
      return `must be well-formed Unicode, found a lone surrogate ${codePointLabel(codePoint)}`;
    if (refusedCharacter(codePoint)) return `must not contain control, non- or private-use characters, found ${codePointLabel(codePoint)}`;
  }
  if (name.includes('\\')) return 'must not contain backslashes';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(name)) return 'must be a blob name, not a URL';
  if (name.startsWith('/') || name.endsWith('/')) return 'must not start or end with "/"';
  const segments = name.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return 'must not contain empty, "." or ".." path segments';
  }
  if (name.length > MAX_UPLOAD_NAME_CHARS) {
    return `is ${name.length} characters; at most ${MAX_UPLOAD_NAME_CHARS}, so that its records' paths stay within Azure's ${MAX_BLOB_NAME_CHARS}`;
  }
  if (segments.length > MAX_UPLOAD_NAME_SEGMENTS) {
    return `has ${segments.length} path segments; at most ${MAX_UPLOAD_NAME_SEGMENTS}, so that its records' paths stay within Azure's ${MAX_BLOB_NAME_SEGMENTS}`;
  }
  return undefined;
}
