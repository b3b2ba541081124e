/**
 * OCR_GROUNDING: the model provider's prompt also carries the text OCR read from each image, which
 * helps with small print and long numbers. A PDF page with a text layer is not read: the document
 * prompt carries that text already (src/documents/documentPrompt.ts). The text is read before the
 * rate limiter is asked, so that the estimate includes it and no quota is held while OCR runs.
 * Grounding is help, not a requirement: when OCR fails the call goes ahead without it, with a warning.
 */
import { WorkerError, ensureError } from '../errors.js';
import type { DocumentReader, TextReading } from './offline/documentReader.js';
import { ocrInput } from './offline/documentReader.js';
import { ocrGrounding } from '../ocr/ocrGrounding.js';
import type { AnalysisRequest, AnalysisResponse, RequestPage, VisionProvider } from './types.js';
import type { RequestImage } from '../media/imageTypes.js';

interface ImageText {
  /** How the prompt refers to the image when it has several. */
  label: string;
  text: string;
  engine: string;
}

/** Several texts are labelled the way the prompt introduces their images. */
function joinTexts(texts: readonly ImageText[], images: number): string {
  if (images === 1) return texts[0]?.text ?? '';
  return texts.map(({ label, text }) => `[${label}]\n${text.trim()}`).join('\n\n');
}

export function withOcrGrounding(inner: VisionProvider, reader: DocumentReader, grounds: (profileName: string) => boolean): VisionProvider {
  // A repair turn resends the same images: their text is read once.
  const read = new WeakMap<Buffer, Promise<TextReading>>();
  const textOf = (image: RequestImage, signal?: AbortSignal): Promise<TextReading> => {
    let reading = read.get(image.source.bytes);
    if (reading === undefined) {
      reading = reader.readText(ocrInput(image).bytes, signal === undefined ? {} : { signal });
      read.set(image.source.bytes, reading);
    }
    return reading;
  };
  const textsOf = async ({ images, pages, signal }: AnalysisRequest): Promise<ImageText[]> => {
    const unread = images.flatMap((image, index) => {
      const page: RequestPage | undefined = pages?.[index];
      if (page?.hasText === true) return [];
      return [{ image, label: page === undefined ? `Image ${index + 1}: ${image.name}` : `Page ${page.page}` }];
    });
    return Promise.all(unread.map(async ({ image, label }) => ({ label, ...(await textOf(image, signal)) })));
  };

  return {
    name: inner.name,
    async analyze(request: AnalysisRequest): Promise<AnalysisResponse> {
      if (!grounds(request.profile.name)) return inner.analyze(request);
      let texts: ImageText[];
      try {
        texts = await textsOf(request);
      } catch (error) {
        if (request.signal?.aborted === true) throw error;
        const reason = error instanceof WorkerError ? `${error.code}: ${error.message}` : ensureError(error).message;
        const response = await inner.analyze(request);
        return { ...response, warnings: [...response.warnings, `OCR grounding was skipped: reading the text failed (${reason})`] };
      }
      if (texts.length === 0) return inner.analyze(request);
      const note = ocrGrounding(joinTexts(texts, request.images.length));
      const response = await inner.analyze(note === null ? request : { ...request, grounding: note });
      const engines = [...new Set(texts.map(({ engine }) => engine))].join(', ');
      const grounding = note === null ? `on: OCR found no text (${engines})` : `on: ${note.length} characters (${engines})`;
      return { ...response, info: { ...response.info, ocrGrounding: grounding } };
    },
    close: async () => {
      await inner.close();
      await reader.close();
    },
  };
}
