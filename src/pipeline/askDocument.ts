/**
 * One validated answer for a prepared document: each request of `document.requests` (pages within
 * MAX_IMAGES_PER_REQUEST) goes through `askModel` like a single image, with the page instruction and,
 * optionally, the text layer added to the prompt; the answers are merged by the profile's rules and the
 * merge is validated again. Requests run one after another: they share the deployment's rate limit, and
 * a later request is not worth its tokens once an earlier one has failed permanently.
 */
import { documentProfile } from '../documents/documentPrompt.js';
import { mergeAnswers, type ChunkAnswer } from '../documents/mergeAnswers.js';
import type { DocumentPage, PreparedDocument } from '../documents/prepareDocument.js';
import { PermanentError } from '../errors.js';
import type { Profile } from '../profiles/types.js';
import { describeIssues } from '../profiles/zodIssues.js';
import type { AnalysisResponse, Usage, VisionProvider } from '../providers/types.js';
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

function pagesOf(document: PreparedDocument, numbers: readonly number[]): DocumentPage[] {
  return numbers.map((n) => {
    const page = document.pages[n - 1];
    if (page?.page !== n) throw new RangeError(`request names page ${n}, which the prepared document does not have`);
    return page;
  });
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
      const answer = await askModel(
        provider,
        {
          profile: asked,
          images: pages.map(({ image }) => image),
          pages: pages.map(({ page, text, hasText }) => ({ page, text, hasText })),
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        },
        usage,
      );
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
    requests.push({
      pages: numbers,
      imageTokensEstimated: pages.reduce((sum, { image }) => sum + image.image.imageTokens, 0),
      ...usage,
    });
  }
  if (last === undefined) throw new RangeError('a prepared document has at least one request');

  for (const { page, blank } of document.pages) {
    if (blank) {
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
      pages: document.pages.map(({ page, image, hasText }) => ({
        page,
        width: image.image.width,
        height: image.image.height,
        imageTokens: image.image.imageTokens,
        textLayer: hasText,
        request: document.requests.findIndex((numbers) => numbers.includes(page)),
      })),
      requests,
      fields: merged.fields,
      estimate: document.estimate,
    },
  };
}
