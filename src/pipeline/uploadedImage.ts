/** From downloaded bytes to an image the model can be sent, noting what is learnt on the way for the record. */
import { createHash } from 'node:crypto';
import type { RequestImage } from '../media/imageTypes.js';
import type { DownloadedBlob } from '../storage/downloadBlob.js';
import { detectMediaType, unsupportedMediaType, type Accepted, type MediaType } from '../media/detectMediaType.js';
import { prepareImage, type PrepareOptions } from '../media/prepareImage.js';
import type { SourceInfo } from '../contracts/resultRecord.js';

/** What the record says about a downloaded blob before it is decoded. */
export function sourceOf(container: string, name: string, blob: DownloadedBlob): SourceInfo {
  return {
    container,
    blob: name,
    etag: blob.etag,
    size: blob.bytes.length,
    sha256: createHash('sha256').update(blob.bytes).digest('hex'),
    mime: null,
    width: null,
    height: null,
    lastModified: blob.lastModified?.toISOString() ?? null,
  };
}

/** Refuses what is not a supported image and prepares the rest; fills in `source` as it learns, so a failure record has it too. */
export async function prepareUpload(name: string, bytes: Buffer, source: SourceInfo, options: PrepareOptions): Promise<RequestImage> {
  return prepareDetected(name, bytes, await detectMediaType(bytes), source, options, 'images');
}

/** As `prepareUpload`, for bytes whose type the caller has already detected (to route documents first); `accepted` words the refusal. */
export async function prepareDetected(
  name: string,
  bytes: Buffer,
  detected: MediaType,
  source: SourceInfo,
  options: PrepareOptions,
  accepted: Accepted,
): Promise<RequestImage> {
  source.mime = detected.mime;
  if (!detected.supported) throw unsupportedMediaType(detected.mime, accepted);
  const { image, source: uploaded } = await prepareImage(bytes, detected.mime, options);
  source.width = uploaded.width;
  source.height = uploaded.height;
  return { name, image, source: uploaded };
}
