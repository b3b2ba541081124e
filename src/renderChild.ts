/**
 * The entry of a render child (src/isolation/renderPool.ts): opens at most one PDF at a time and
 * answers its calls, or decodes a HEIC image. Whatever goes wrong in here (a crash, a runaway page) ends
 * this process, never the worker's.
 */
import type { DocumentSource } from './documents/documentSource.js';
import type { PdfRequest } from './documents/isolatedPdf.js';
import { openPdf, pdfjs } from './documents/pdfSource.js';
import { WorkerError, ensureError } from './errors.js';
import type { RenderReply } from './isolation/renderProtocol.js';
import { withHeicImage, type HeicRequest } from './media/decodeHeic.js';

let open: DocumentSource | undefined;

function current(): DocumentSource {
  if (open === undefined) throw new Error('no PDF is open in this render child');
  return open;
}

async function answer(request: PdfRequest | HeicRequest): Promise<unknown> {
  switch (request.op) {
    case 'openPdf':
      await open?.close();
      open = await openPdf(request.bytes, request.maxInputPixels, request.bounds);
      return { pageCount: open.pageCount };
    case 'pageSize':
      return current().pageSize(request.page);
    case 'pageText': {
      const text = await current().pageText(request.page, request.size);
      if (text === null) throw new Error('a PDF page always has a text layer, if an empty one');
      return text;
    }
    case 'renderPage':
      return current().renderPage(request.page, request.size);
    case 'closePdf':
      await open?.close();
      open = undefined;
      return null;
    case 'decodeHeic': {
      const { maxInputPixels } = request;
      return withHeicImage(Buffer.from(request.bytes), async ({ width, height, decode }) =>
        width * height > maxInputPixels ? { width, height } : { width, height, rgba: await decode() },
      );
    }
  }
}

function failure(error: unknown): RenderReply {
  const cause = ensureError(error);
  return error instanceof WorkerError && !error.retryable
    ? { ok: false, error: { message: cause.message, code: error.code, ...(error.details === undefined ? {} : { details: error.details }) } }
    : { ok: false, error: { message: cause.message } };
}

process.on('message', (message: (PdfRequest | HeicRequest) & { id: number }) => {
  const { id } = message;
  void answer(message).then(
    (value) => process.send?.({ id, ok: true, value } satisfies RenderReply & { id: number }),
    (error: unknown) => process.send?.({ id, ...failure(error) }),
  );
});
// Loaded before the first call, so that no call's deadline pays for starting the child.
await pdfjs();
process.send?.({ ready: true });
// The worker went away (ended, crashed, or closed the pool): nothing is left to answer.
process.on('disconnect', () => process.exit(0));
