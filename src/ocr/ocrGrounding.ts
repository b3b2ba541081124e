/**
 * OCR text as grounding for a vision model: the model still reads the image, but gets the characters
 * OCR found, which helps with small print, long numbers and low-resolution uploads. Off by default.
 * Cost, at about four characters a token: the generated one-page invoices of the evaluation set read
 * as 430-500 characters (~110-125 tokens, at most ~165), receipts ~260 (~65), plus ~45 tokens for the
 * framing below; pages dense with terms and addresses run longer, hence the cap.
 */

/** Bounds the note on dense pages (~1,500 tokens). */
const DEFAULT_MAX_CHARS = 6000;

/** The note to append to the user prompt, or null when OCR found no text. */
export function ocrGrounding(text: string, maxChars = DEFAULT_MAX_CHARS): string | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const body = trimmed.length <= maxChars ? trimmed : `${trimmed.slice(0, maxChars)}\n[... OCR text cut at ${maxChars} characters]`;
  return (
    'Text read from the image by OCR, one printed row per line, columns separated by two spaces. ' +
    'It may contain misread characters: where it disagrees with the image, trust the image.\n' +
    `<ocr>\n${body}\n</ocr>`
  );
}
