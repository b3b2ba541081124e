/**
 * Comparison manifests: a small JSON blob `<name>.compare.json` in the input container names images
 * already there and asks one question about all of them; the images go to the model in one request,
 * in the manifest's order. Manifests are untrusted input like job messages: images are blob names in
 * the input container, never URLs, and no path may climb out of it.
 */
import { z } from 'zod';
import { PermanentError, type PermanentCode } from '../errors.js';
import { SETTINGS } from '../names.js';
import { PROFILE_NAME_PATTERN, type Profile } from '../profiles/types.js';
import { describeIssues } from '../profiles/zodIssues.js';
import type { RequestImage } from '../media/imageTypes.js';
import { downloadBlob } from '../storage/downloadBlob.js';
import { storageUnavailable } from '../storage/storageErrors.js';
import { blobName } from '../contracts/jobMessage.js';
import type { PrepareOptions } from '../media/prepareImage.js';
import type { SourceInfo, Timings } from '../contracts/resultRecord.js';
import { prepareUpload, sourceOf } from './uploadedImage.js';
import type { JobServices } from './jobServices.js';

export const MANIFEST_SUFFIX = '.compare.json';
/** Used when neither the manifest nor its blob metadata names a profile. */
export const MANIFEST_DEFAULT_PROFILE = 'compare';
const MAX_PROMPT_CHARS = 4000;

export const isManifest = (name: string): boolean => name.endsWith(MANIFEST_SUFFIX);

const manifestSchema = z.strictObject({
  images: z.array(blobName).min(1, 'must name at least one image'),
  prompt: z.string().trim().min(1, 'must not be empty').max(MAX_PROMPT_CHARS),
  profile: z.string().regex(PROFILE_NAME_PATTERN, 'must be a profile name (lowercase letters, digits, - and _)').optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;

const shape = (container: string): string =>
  `expected {"images": [blob names in container "${container}"], "prompt": "...", "profile"?: "..."}`;

export function parseManifest(text: string, maxImages: number, container: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PermanentError('manifest_invalid', `the manifest is not JSON (${(error as Error).message}); ${shape(container)}`);
  }
  const images = typeof value === 'object' && value !== null ? (value as { images?: unknown }).images : undefined;
  if (Array.isArray(images) && images.length > maxImages) {
    throw new PermanentError(
      'manifest_too_many_images',
      `the manifest names ${images.length} images; one comparison takes at most ${maxImages} (${SETTINGS.maxCompareImages})`,
      { details: { count: images.length, limit: maxImages } },
    );
  }
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    const issues = describeIssues(parsed.error);
    throw new PermanentError('manifest_invalid', `the manifest is invalid: ${issues.join('; ')}; ${shape(container)}`, {
      details: { issues },
    });
  }
  const repeated = parsed.data.images.findIndex((name, index) => parsed.data.images.indexOf(name) !== index);
  if (repeated >= 0) {
    throw new PermanentError(
      'manifest_invalid',
      `the manifest is invalid: images[${repeated}] repeats "${parsed.data.images[repeated] ?? ''}"`,
    );
  }
  return parsed.data;
}

/** The manifest's question follows the profile's own instructions. */
export function withPrompt(profile: Profile, prompt: string): Profile {
  return { ...profile, user: `${profile.user}\n\n${prompt}` };
}

/** Every missing image is named at once, before any is downloaded. */
async function assertAllExist(services: JobServices, names: readonly string[]): Promise<void> {
  const found = await Promise.all(
    names.map((name) =>
      services.input
        .getBlobClient(name)
        .exists()
        .catch((error: unknown) => {
          throw storageUnavailable(error, `checking that "${name}" exists`);
        }),
    ),
  );
  const missing = names.filter((_, index) => !found[index]);
  if (missing.length > 0) {
    throw new PermanentError(
      'manifest_image_missing',
      `the manifest names ${missing.length === 1 ? 'an image' : `${missing.length} images`} not in container "${services.input.containerName}": ${missing.join(', ')}`,
      { details: { missing } },
    );
  }
}

/** A permanent problem with one image fails the manifest, naming the image. */
function inImage(error: unknown, index: number, name: string): unknown {
  if (!(error instanceof PermanentError)) return error;
  return new PermanentError(error.code as PermanentCode, `images[${index}] "${name}": ${error.message}`, {
    cause: error,
    details: { ...error.details, image: name },
  });
}

export interface ManifestProgress {
  timings: Timings;
  /** Filled image by image, so that a failure record names the images read so far. */
  sources: SourceInfo[];
}

/**
 * Downloads and prepares the images one at a time, in order, so that only one is ever being decoded
 * (decoding, not the uploads themselves, is what takes memory). Download and prepare times add up.
 */
export async function loadManifestImages(
  services: JobServices,
  manifest: Manifest,
  options: PrepareOptions,
  progress: ManifestProgress,
): Promise<RequestImage[]> {
  await assertAllExist(services, manifest.images);
  const { timings } = progress;
  const images: RequestImage[] = [];
  for (const [index, name] of manifest.images.entries()) {
    try {
      let mark = services.now();
      const blob = await downloadBlob(services.input, name, services.config.maxBlobBytes);
      timings.downloadMs = (timings.downloadMs ?? 0) + (services.now() - mark);
      const source = sourceOf(services.input.containerName, name, blob);
      progress.sources.push(source);
      mark = services.now();
      images.push(await prepareUpload(name, blob.bytes, source, options));
      timings.prepareMs = (timings.prepareMs ?? 0) + (services.now() - mark);
    } catch (error) {
      throw inImage(error, index, name);
    }
  }
  return images;
}
