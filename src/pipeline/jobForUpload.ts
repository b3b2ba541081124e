/**
 * Turns a new upload into a job message. The ETag comes from the blob itself (one HEAD request), so the
 * job names exactly the content that triggered it, whatever shape the trigger's metadata has.
 */
import { PermanentError } from '../errors.js';
import { PROFILE_METADATA_KEY } from '../names.js';
import { isManifestOnly } from '../profiles/catalog.js';
import { PROFILE_NAME_PATTERN } from '../profiles/types.js';
import { isStatus, storageUnavailable } from '../storage/storageErrors.js';
import { blobNameProblem } from '../contracts/blobNameRules.js';
import { isManifest } from './compareManifest.js';
import { InvalidMessageError, type JobMessage } from '../contracts/jobMessage.js';
import { emptyTimings, failureRecord, parseOrRecordInvalid, recordInvalidMessage } from './jobRecords.js';
import { namedSource } from '../contracts/resultRecord.js';
import type { JobServices } from './jobServices.js';

/**
 * The job for `blobName`, or undefined when it gets none: it already has its final record (gone, or an
 * unusable name), or it is an image under a manifest-only prefix, analysed only through its manifests.
 */
export async function jobForUpload(services: JobServices, blobName: string): Promise<JobMessage | undefined> {
  const started = services.now();
  const container = services.config.names.inputContainer;
  const nameProblem = blobNameProblem(blobName);
  if (nameProblem !== undefined) {
    // No request can name it safely (or its records could not be written): its record goes where any name can be kept.
    const error = new InvalidMessageError(`upload name ${nameProblem}`, blobName, { container, blob: blobName });
    await recordInvalidMessage(services, error, { dequeueCount: 1 }, started);
    return undefined;
  }
  if (!isManifest(blobName) && isManifestOnly(services.config.profiles, blobName)) {
    services.logger.info('upload.manifest_only', { blob: blobName });
    return undefined;
  }
  let properties;
  try {
    properties = await services.input.getBlobClient(blobName).getProperties();
  } catch (error) {
    if (!isStatus(error, 404)) throw storageUnavailable(error, `reading the properties of "${blobName}"`);
    const gone = new PermanentError('blob_not_found', `"${blobName}" was deleted before it could be enqueued`);
    const source = namedSource(container, blobName, '', null);
    await services.results.writeFinal(
      failureRecord({ source, profile: null, timings: emptyTimings(services.now() - started), warnings: [] }, gone, 1),
    );
    return undefined;
  }
  const profile = properties.metadata?.[PROFILE_METADATA_KEY]?.trim().toLowerCase();
  const candidate = {
    v: 1,
    container,
    blob: blobName,
    etag: properties.etag ?? '',
    contentLength: properties.contentLength ?? 0,
    // A name no profile can have stays out of the message: the job then reads it from the blob's metadata
    // and records `unknown_profile` at the upload's own path, rather than an invalid message elsewhere.
    ...(profile !== undefined && PROFILE_NAME_PATTERN.test(profile) ? { profile } : {}),
  };
  const parsed = await parseOrRecordInvalid(services, candidate, { dequeueCount: 1 }, started);
  return 'job' in parsed ? parsed.job : undefined;
}
