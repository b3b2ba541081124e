/**
 * What the model is told about the pages it is shown: that they are one document, which pages of how
 * many, and (optionally) the PDF's own text of those pages. The text layer is exact where it exists
 * (digits, codes, names), which a model reading a 90-dpi rendering can get wrong; the images still carry
 * the layout and whatever is not text.
 */
import type { Profile } from '../profiles/types.js';
import { hasTextLayer, type PageText } from '../media/pageText.js';

/** A dense page of text is 3,000-5,000 characters; beyond this a page's text is cut (and says so). */
export const MAX_GROUNDING_CHARS_PER_PAGE = 8000;

export interface PromptPage {
  page: number;
  text: PageText | null;
}

const range = (pages: readonly number[]): string => {
  const first = pages[0];
  const last = pages.at(-1);
  return first === last ? `page ${first}` : `pages ${first}-${last}`;
};

/** The instruction added to the profile's own for a request carrying `pages` of a `pageCount`-page document. */
export function pagesInstruction(pages: readonly number[], pageCount: number): string {
  if (pages.length === pageCount) {
    return pageCount === 1
      ? 'The image is the only page of a document.'
      : `The images are the ${pageCount} pages of one document, in order. Answer for the document as a whole.`;
  }
  return (
    `The ${pages.length === 1 ? 'image is' : 'images are'} ${range(pages)} of a ${pageCount}-page document; the other pages ` +
    'are sent separately and the answers are merged. Answer only from these pages: use null for a field these pages do ' +
    'not show, and list only the items printed on them.'
  );
}

/**
 * The text layer of the pages that have one, for inclusion in the prompt; undefined when none has.
 * Pages below the text-layer threshold (scans) are left out rather than shown as empty.
 */
export function groundingText(pages: readonly PromptPage[]): string | undefined {
  const parts = pages.flatMap(({ page, text }) => {
    if (!hasTextLayer(text)) return [];
    const body =
      text.text.length > MAX_GROUNDING_CHARS_PER_PAGE
        ? `${text.text.slice(0, MAX_GROUNDING_CHARS_PER_PAGE)}\n[... text of page ${page} cut]`
        : text.text;
    return [`--- page ${page} ---\n${body}`];
  });
  if (parts.length === 0) return undefined;
  return (
    "The document's own text layer for these pages follows. It is exact: where it and your reading of an image " +
    'differ in a character or digit, trust the text; the images show the layout.\n' +
    parts.join('\n')
  );
}

/** The profile with the page instruction (and, when given, the text layer) added to its user prompt. */
export function documentProfile(profile: Profile, pages: readonly PromptPage[], pageCount: number, grounding: boolean): Profile {
  const numbers = pages.map(({ page }) => page);
  const text = grounding ? groundingText(pages) : undefined;
  return {
    ...profile,
    user: [profile.user, pagesInstruction(numbers, pageCount), ...(text === undefined ? [] : [text])].join('\n\n'),
  };
}
