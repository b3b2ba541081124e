/**
 * A PDF opened in a render child (src/isolation/renderPool.ts, tasks answered by src/renderChild.ts): the same `DocumentSource` as
 * pdfSource.ts, with every parse and draw in the child. A child that crashes, runs out of memory or
 * misses its deadline ends the document with `render_failed` or `document_too_complex`; the session's
 * child goes back to the pool (or is replaced) when the document is closed.
 */
import type { DocumentSettings, PdfBounds } from '../config.js';
import { PermanentError } from '../errors.js';
import { renderFailure, renderPool, type RenderSession } from '../isolation/renderPool.js';
import { SETTINGS } from '../names.js';
import type { Size } from '../media/imageTokens.js';
import type { DocumentSource } from './documentSource.js';
import type { PageText } from '../media/pageText.js';
import { pdfError } from './pdfSource.js';

/** The PDF tasks a render child answers: at most one PDF open per child. */
export type PdfRequest =
  | { op: 'openPdf'; bytes: Uint8Array; maxInputPixels: number; bounds: PdfBounds }
  | { op: 'pageSize'; page: number }
  | { op: 'pageText'; page: number; size: Size }
  | { op: 'renderPage'; page: number; size: Size }
  | { op: 'closePdf' };

class IsolatedPdf implements DocumentSource {
  readonly kind = 'pdf';

  constructor(
    private readonly session: RenderSession,
    readonly pageCount: number,
    private readonly byteLength: number,
  ) {}

  private async guard<T>(page: number, stage: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const failed = renderFailure(error, { page, setting: SETTINGS.renderTimeoutMs });
      throw failed instanceof PermanentError ? failed : pdfError(failed, this.byteLength, stage);
    }
  }

  pageSize(page: number): Promise<Size> {
    return this.guard(page, `read (page ${page})`, () => this.session.call<Size>({ op: 'pageSize', page } satisfies PdfRequest));
  }

  pageText(page: number, size: Size): Promise<PageText> {
    return this.guard(page, `read (text of page ${page})`, () =>
      this.session.call<PageText>({ op: 'pageText', page, size } satisfies PdfRequest),
    );
  }

  renderPage(page: number, size: Size): Promise<Buffer> {
    return this.guard(page, `rendered (page ${page})`, async () => {
      const png = await this.session.call<Uint8Array>({ op: 'renderPage', page, size } satisfies PdfRequest);
      return Buffer.from(png.buffer, png.byteOffset, png.byteLength);
    });
  }

  async close(): Promise<void> {
    try {
      await this.session.call<null>({ op: 'closePdf' } satisfies PdfRequest);
    } catch {
      // A child that failed is replaced on release; there is nothing left to close in it.
    } finally {
      this.session.release();
    }
  }
}

export async function openIsolatedPdf(
  bytes: Buffer,
  maxInputPixels: number,
  limits: Pick<DocumentSettings, 'pdf' | 'render'>,
): Promise<DocumentSource> {
  const session = await renderPool(limits.render).session();
  try {
    const { pageCount } = await session.call<{ pageCount: number }>({
      op: 'openPdf',
      bytes,
      maxInputPixels,
      bounds: limits.pdf,
    } satisfies PdfRequest);
    return new IsolatedPdf(session, pageCount, bytes.length);
  } catch (error) {
    session.release();
    const failed = renderFailure(error, { setting: SETTINGS.renderTimeoutMs });
    throw failed instanceof PermanentError ? failed : pdfError(failed, bytes.length, 'opened');
  }
}
