/**
 * What a job does with its upload: download it, pick its profile, and answer it from the cache or the
 * provider, as an image, a document (PDF, multi-page TIFF) or a comparison manifest.
 */
import { prepareDocument, type PreparedDocument } from '../documents/prepareDocument.js';
import { PermanentError } from '../errors.js';
import { planFor } from '../models/requestShape.js';
import { PROFILE_METADATA_KEY } from '../names.js';
import { selectProfileName } from '../profiles/catalog.js';
import type { Profile } from '../profiles/types.js';
import type { RequestImage } from '../media/imageTypes.js';
import { downloadBlob, type DownloadedBlob } from '../storage/downloadBlob.js';
import { cacheKey, readCache, writeCache } from './analysisCache.js';
import { askDocument } from './askDocument.js';
import { askModel } from './askModel.js';
import { MANIFEST_DEFAULT_PROFILE, isManifest, loadManifestImages, parseManifest, withPrompt } from './compareManifest.js';
import { detectMediaType } from '../media/detectMediaType.js';
import { cachedRecord, modelOf, successRecord, type Answered } from './jobRecords.js';
import { stampTotal, type JobRun } from './jobRun.js';
import type { PrepareOptions } from '../media/prepareImage.js';
import type { DocumentInfo, ResultRecord, SourceInfo } from '../contracts/resultRecord.js';
import { prepareDetected, sourceOf } from './uploadedImage.js';

/** The success record for the upload's current content; undefined when that content already has one. */
export async function analyzeUpload(run: JobRun): Promise<ResultRecord | undefined> {
  const { services, job, facts } = run;
  const mark = services.now();
  const blob = await downloadBlob(services.input, job.blob, services.config.maxBlobBytes, run.deadline);
  facts.timings.downloadMs = services.now() - mark;
  facts.source = { ...sourceOf(job.container, job.blob, blob), etag: job.etag };
  if (blob.etag !== '' && blob.etag !== job.etag) {
    // Overwritten after it was enqueued: the current content is analysed; the newer upload's own job finds this record.
    facts.warnings.push(`the blob changed after it was enqueued (ETag ${job.etag} -> ${blob.etag}); the current content was analysed`);
    facts.source.etag = blob.etag;
    if (await services.results.hasSucceeded(job.blob, blob.etag)) return undefined;
  }
  const attempt = run.delivery.dequeueCount;
  if (isManifest(job.blob)) {
    const compared = await compareImages(run, blob);
    return successRecord(services, stampTotal(run), compared, attempt);
  }
  const profile = profileOf(run, blob);
  facts.profile = profile.name;
  const key = cacheKey(run, profile, facts.source);
  const hit = key === undefined ? undefined : await readCache(run, key, profile);
  if (hit !== undefined) return cachedRecord(stampTotal(run), profile, hit, attempt);
  const answered = await analyzeContent(run, blob, profile);
  const record = successRecord(services, stampTotal(run), answered, attempt);
  if (key !== undefined) await writeCache(run, key, record, answered.answer);
  return record;
}

function lookUp({ services }: JobRun, name: string, from: string): Profile {
  const { profiles } = services.config.profiles;
  const profile = profiles.get(name);
  if (profile === undefined) {
    throw new PermanentError(
      'unknown_profile',
      `profile "${name}" (from ${from}) is not defined; known profiles: ${[...profiles.keys()].join(', ')}`,
    );
  }
  return profile;
}

/**
 * The profile named for the content analysed: its own metadata, read with its bytes. The message's
 * profile was read from the upload it was written for, so it counts only while that is the content.
 */
function namedProfile({ job }: JobRun, blob: DownloadedBlob): string | undefined {
  const own = blob.metadata[PROFILE_METADATA_KEY];
  if (own !== undefined) return own;
  return blob.etag === '' || blob.etag === job.etag ? job.profile : undefined;
}

function profileOf(run: JobRun, blob: DownloadedBlob): Profile {
  const fromMetadata = namedProfile(run, blob);
  const name = selectProfileName(run.services.config.profiles, run.job.blob, fromMetadata);
  return lookUp(run, name, fromMetadata === undefined ? 'the path rules or default' : 'blob metadata');
}

function prepareOptions({ services }: JobRun, profile: Profile): PrepareOptions {
  return {
    model: modelOf(services, profile),
    detail: profile.detail,
    format: profile.prepare.format,
    maxInputPixels: services.config.maxInputPixels,
    render: services.config.documents.render,
  };
}

/** An image, or a document when the bytes say so. */
async function analyzeContent(run: JobRun, blob: DownloadedBlob, profile: Profile): Promise<Answered> {
  const { services, facts } = run;
  const mark = services.now();
  const detected = await detectMediaType(blob.bytes);
  if (detected.document !== undefined) {
    facts.source.mime = detected.mime;
    return analyzeDocument(run, blob, profile, detected.document, mark);
  }
  const options = prepareOptions(run, profile);
  const image = await prepareDetected(run.job.blob, blob.bytes, detected, facts.source, options, 'images or documents');
  facts.prepared = image.image;
  facts.timings.prepareMs = services.now() - mark;
  return ask(run, profile, [image]);
}

/**
 * A PDF or multi-page TIFF: pages at the model's resolution with their text layer as grounding, or for the
 * offline provider at OCR resolution with no token budget, each page drawn as it is read.
 */
async function analyzeDocument(
  run: JobRun,
  blob: DownloadedBlob,
  profile: Profile,
  kind: DocumentInfo['kind'],
  mark: number,
): Promise<Answered> {
  const { services, facts } = run;
  const { config } = services;
  const model = services.provider.name === 'openai';
  const document = await prepareDocument(blob.bytes, kind, {
    name: run.job.blob,
    prepare: prepareOptions(run, profile),
    limits: config.documents,
    renderFor: model ? 'model' : 'ocr',
    profile,
    priceOverride: config.model.priceOverride,
    completionBudget: planFor({ profile }, config.model.visionModel, config.model.request).budget,
    grounding: model,
    budgeted: model,
  });
  facts.prepared = {
    detail: document.pages[0]?.model.detail ?? 'low',
    imageTokens: document.pages.reduce((sum, { model: copy }) => sum + copy.imageTokens, 0),
  };
  const planMs = services.now() - mark;
  facts.timings.prepareMs = planMs;
  // Pages drawn as they are read (for OCR) count as preparation; a page that cannot be drawn leaves the job unprepared.
  let drawMs = 0;
  let drawFailed = false;
  const drawing: PreparedDocument = {
    ...document,
    draw: async (n) => {
      const begun = services.now();
      try {
        return await document.draw(n);
      } catch (error) {
        drawFailed = true;
        throw error;
      } finally {
        drawMs += services.now() - begun;
      }
    },
  };
  const asked = services.now();
  try {
    const options = { grounding: model, signal: run.deadline };
    const { answer, document: info } = await askDocument(services.provider, profile, drawing, facts.spent, options);
    return { profile, answer, document: info };
  } finally {
    if (drawFailed) {
      delete facts.prepared;
      facts.timings.prepareMs = null;
    } else {
      facts.timings.prepareMs = planMs + drawMs;
      facts.timings.modelMs = services.now() - asked - drawMs;
    }
    await document.close();
  }
}

/** A comparison manifest: every image it names, in one request, with the manifest's question. */
async function compareImages(run: JobRun, blob: DownloadedBlob): Promise<Answered> {
  const { services, job, facts } = run;
  const manifest = parseManifest(blob.bytes.toString('utf8'), services.config.maxCompareImages, job.container);
  // Only now is it known to be JSON; `source.mime` is never taken from the name alone.
  facts.source.mime = 'application/json';
  const fromMetadata = namedProfile(run, blob);
  const [name, from] =
    manifest.profile !== undefined
      ? [manifest.profile, 'the manifest']
      : fromMetadata !== undefined
        ? [fromMetadata, 'blob metadata']
        : [MANIFEST_DEFAULT_PROFILE, 'the default for manifests'];
  const profile = lookUp(run, name, from);
  facts.profile = profile.name;
  const sources: SourceInfo[] = [];
  facts.sources = sources;
  const images = await loadManifestImages(services, manifest, prepareOptions(run, profile), { timings: facts.timings, sources });
  facts.prepared = {
    detail: images[0]?.image.detail ?? 'low',
    imageTokens: images.reduce((sum, { image }) => sum + image.imageTokens, 0),
  };
  return ask(run, withPrompt(profile, manifest.prompt), images);
}

async function ask(run: JobRun, profile: Profile, images: RequestImage[]): Promise<Answered> {
  const { services, facts } = run;
  const mark = services.now();
  try {
    return { profile, answer: await askModel(services.provider, { profile, images, signal: run.deadline }, facts.spent) };
  } finally {
    facts.timings.modelMs = services.now() - mark;
  }
}
