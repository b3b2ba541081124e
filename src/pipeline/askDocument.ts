/**
 * One validated answer for a prepared document: each request of `document.requests` (pages within
 * MAX_IMAGES_PER_REQUEST) goes through `askModel` like a single image, with the page instruction and,
 * optionally, the text layer added to the prompt; the answers are merged by the profile's rules and the
 * merge is validated again. Requests run one after another: they share the deployment's rate limit, and
 * a later request is not worth its tokens once an earlier one has failed permanently. A provider that
 * reads pages one at a time (`analyzePages`) draws each page as it reads it.
 */
import { documentProfile } from '../documents/documentPrompt.js';
import { mergeAnswers, type ChunkAnswer } from '../providers/mergeAnswers.js';
import type { PlannedPage, PreparedDocument } from '../documents/prepareDocument.js';
import { PermanentError } from '../errors.js';
import type { Profile } from '../profiles/types.js';
import { describeIssues } from '../profiles/zodIssues.js';
import type { AnalysisResponse, Usage, VisionProvider } from '../providers/types.js';
import type { RequestImage } from '../media/imageTypes.js';
import { NO_USAGE, addUsage } from '../providers/usage.js';
import { askModel, type ValidatedAnswer } from './askModel.js';
import type { DocumentInfo } from '../contracts/resultRecord.js';

export interface DocumentAnswer {
  /** As for a single image; `response` is the last request's, carrying the merged evidence. */
  answer: ValidatedAnswer;
  /** For the result record (`document`). */
  document: DocumentInfo;
}

export interface AskDocumentOptions {
  /** Send each page's text layer with its image (documentPrompt.ts). */
  grounding: boolean;
  /** Cancels the remaining calls (the job's deadline). */
  signal?: AbortSignal;
}

function pagesOf(document: PreparedDocument, numbers: readonly number[]): PlannedPage[] {
  return numbers.map((n) => {
    const page = document.pages[n - 1];
    if (page?.page !== n) throw new RangeError(`request names page ${n}, which the prepared document does not have`);
    return page;
  });
}

/** One request's answer: its pages drawn as the provider reads them if it reads one at a time, else drawn for it. */
async function askPages(
  provider: VisionProvider,
  document: PreparedDocument,
  profile: Profile,
  pages: readonly PlannedPage[],
  signal: AbortSignal | undefined,
  usage: Usage,
): Promise<ValidatedAnswer> {
  const signalled = signal === undefined ? {} : { signal };
  if (provider.analyzePages !== undefined) {
    const reader = { analyze: provider.analyzePages.bind(provider) };
    const toRead = pages.map(({ page, text, hasText }) => ({ page, text, hasText, draw: async () => (await document.draw(page)).image }));
    return askModel(reader, { profile, pages: toRead, ...signalled }, usage);
  }
  const images: RequestImage[] = [];
  for (const { page } of pages) images.push((await document.draw(page)).image);
  return askModel(
    provider,
    { profile, images, pages: pages.map(({ page, text, hasText }) => ({ page, text, hasText })), ...signalled },
    usage,
  );
}

/** `spent` accumulates the tokens of every call, also when a later request fails, as `askModel` does. */
export async function askDocument(
  provider: VisionProvider,
  profile: Profile,
  document: PreparedDocument,
  spent: Usage,
  options: AskDocumentOptions,
): Promise<DocumentAnswer> {
  const pageCount = document.pages.length;
  const chunked = document.requests.length > 1;
  const chunks: ChunkAnswer[] = [];
  const requests: DocumentInfo['requests'] = [];
  const warnings: string[] = [];
  let last: AnalysisResponse | undefined;
  for (const numbers of document.requests) {
    const pages = pagesOf(document, numbers);
    const usage: Usage = { ...NO_USAGE };
    try {
      const asked = documentProfile(profile, pages, pageCount, options.grounding);
      const answer = await askPages(provider, document, asked, pages, options.signal, usage);
      last = answer.response;
      chunks.push({
        pages: numbers,
        data: answer.data,
        ...(answer.response.evidence === undefined ? {} : { evidence: answer.response.evidence }),
      });
      const where = chunked ? `pages ${numbers[0]}-${numbers.at(-1)}: ` : '';
      warnings.push(...answer.warnings.map((warning) => `${where}${warning}`));
    } finally {
      addUsage(spent, usage);
    }
    // A provider answering from the text layer draws only the first page: the others are drawn now, so that
    // every page is measured against the PDF bounds and for blankness.
    for (const { page } of pages) if (document.blank(page) === undefined) await document.draw(page);
    requests.push({
      pages: numbers,
      imageTokensEstimated: pages.reduce((sum, { model }) => sum + model.imageTokens, 0),
      ...usage,
    });
  }
  if (last === undefined) throw new RangeError('a prepared document has at least one request');

  for (const { page } of document.pages) {
    if (document.blank(page) === true) {
      warnings.push(
        `page ${page} is blank (no marks, no text); if it should not be, the PDF may be damaged: an unreadable page is drawn as nothing`,
      );
    }
  }
  const merged = mergeAnswers(profile.name, chunks, new Map(document.pages.map(({ page, text }) => [page, text])));
  // Each part was valid; the whole may not be (a concatenated list longer than the schema allows).
  const parsed = profile.schema.safeParse(merged.data);
  if (!parsed.success) {
    const issues = describeIssues(parsed.error);
    throw new PermanentError(
      'schema_validation_failed',
      `the answers for the ${document.requests.length} parts of the document do not merge into one that matches the "${profile.name}" schema: ${issues.join('; ')}`,
      { details: { issues, requests: document.requests } },
    );
  }
  // The last request's evidence covers its own pages only; the merged evidence replaces it.
  const { evidence: _lastEvidence, ...rest } = last;
  const response: AnalysisResponse = {
    ...rest,
    data: parsed.data,
    ...(merged.evidence === undefined ? {} : { evidence: merged.evidence }),
  };
  return {
    answer: { data: parsed.data, response, warnings: [...warnings, ...merged.warnings] },
    document: {
      kind: document.kind,
      pageCount,
      pages: document.pages.map(({ page, model, hasText }) => ({
        page,
        width: model.width,
        height: model.height,
        imageTokens: model.imageTokens,
        textLayer: hasText,
        request: document.requests.findIndex((numbers) => numbers.includes(page)),
      })),
      requests,
      fields: merged.fields,
      estimate: document.estimate,
    },
  };
}
