/**
 * Multi-page TIFFs (fax and scanner output) through sharp, one page at a time (`page`, `pages: 1`). A
 * TIFF has no text layer: its pages are images, decoded under the same pixel limit as single images.
 */
import sharp, { type SharpOptions } from 'sharp';
import type { Size } from '../media/imageTokens.js';
import { imageError } from '../media/prepareImage.js';
import type { DocumentSource } from './documentSource.js';

const TIFF_MIME = 'image/tiff';

class TiffSource implements DocumentSource {
  readonly kind = 'tiff';

  constructor(
    private readonly bytes: Buffer,
    readonly pageCount: number,
    private readonly maxInputPixels: number,
  ) {}

  /** `failOn: 'error'` refuses a truncated page instead of passing on a half-grey one, as for single images. */
  private options(page: number): SharpOptions {
    return { page: page - 1, pages: 1, limitInputPixels: this.maxInputPixels, failOn: 'error' };
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw imageError(error, { mime: TIFF_MIME, byteLength: this.bytes.length, maxInputPixels: this.maxInputPixels });
    }
  }

  pageSize(page: number): Promise<Size> {
    return this.guard(async () => {
      // The header read is not limited, so that an oversized page is refused (when decoded) with its size named.
      const meta = await sharp(this.bytes, { ...this.options(page), limitInputPixels: false }).metadata();
      return meta.autoOrient;
    });
  }

  pageText(): Promise<null> {
    return Promise.resolve(null);
  }

  renderPage(page: number, size: Size): Promise<Buffer> {
    return this.guard(() =>
      sharp(this.bytes, this.options(page))
        .autoOrient()
        .resize(size.width, size.height, { fit: 'fill' })
        .flatten({ background: '#ffffff' })
        // Fast deflate: lossless is what matters; prepareImage re-encodes the model's copy.
        .png({ compressionLevel: 1 })
        .toBuffer(),
    );
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export async function openTiff(bytes: Buffer, maxInputPixels: number): Promise<DocumentSource> {
  try {
    const meta = await sharp(bytes, { limitInputPixels: false, failOn: 'error' }).metadata();
    return new TiffSource(bytes, meta.pages ?? 1, maxInputPixels);
  } catch (error) {
    throw imageError(error, { mime: TIFF_MIME, byteLength: bytes.length, maxInputPixels });
  }
}
