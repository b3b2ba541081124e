import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { detectMediaType } from '../../src/media/detectMediaType.js';
import { fixture } from '../support/fixtures.js';

describe('detectMediaType', () => {
  it.each([
    ['photo.jpg', 'image/jpeg'],
    ['cmyk.jpg', 'image/jpeg'],
    ['invoice.png', 'image/png'],
    ['deep16.png', 'image/png'],
    ['photo.webp', 'image/webp'],
    ['screenshot-lossless.webp', 'image/webp'],
    ['animation.gif', 'image/gif'],
    ['photo.avif', 'image/avif'],
    ['photo.heic', 'image/heic'],
    // Detection reads the header only; the truncation is found when decoding.
    ['truncated.jpg', 'image/jpeg'],
    ['truncated.png', 'image/png'],
  ])('%s is %s and supported', async (name, mime) => {
    expect(await detectMediaType(fixture(name))).toEqual({ mime, supported: true });
  });

  it('reports SVG as unsupported, past a BOM, whitespace, an XML declaration, comments or a doctype', async () => {
    expect(await detectMediaType(fixture('drawing.svg'))).toEqual({ mime: 'image/svg+xml', supported: false });
    for (const text of [
      '<svg xmlns="http://www.w3.org/2000/svg"/>',
      '\ufeff  \n\t<svg width="1" height="1"></svg>',
      '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n<svg></svg>',
    ]) {
      expect(await detectMediaType(Buffer.from(text))).toEqual({ mime: 'image/svg+xml', supported: false });
    }
  });

  it('does not mistake other XML or HTML holding an <svg> for SVG', async () => {
    expect((await detectMediaType(Buffer.from('<?xml version="1.0"?><note>hi</note>'))).mime).toBe('application/xml');
    expect((await detectMediaType(Buffer.from('<html><body><svg></svg></body></html>'))).mime).toBe('text/plain');
  });

  it('reports UTF-8 text as text/plain', async () => {
    expect(await detectMediaType(fixture('notes.txt'))).toEqual({ mime: 'text/plain', supported: false });
  });

  it('reports a PDF as a document, not as an image prepareImage decodes', async () => {
    expect(await detectMediaType(Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'))).toEqual({
      mime: 'application/pdf',
      supported: false,
      document: 'pdf',
    });
    for (const name of ['invoice.pdf', 'scanned-invoice.pdf', 'encrypted.pdf', 'truncated.pdf']) {
      expect((await detectMediaType(fixture(`documents/${name}`))).document, name).toBe('pdf');
    }
  });

  it('reports a TIFF of several pages as a document whose first page is still a supported image', async () => {
    for (const name of ['two-pages.tiff', 'documents/three-pages.tiff']) {
      expect(await detectMediaType(fixture(name)), name).toEqual({ mime: 'image/tiff', supported: true, document: 'tiff' });
    }
  });

  it('reports a single-page TIFF as an image only', async () => {
    const tiff = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
      .tiff()
      .toBuffer();
    expect(await detectMediaType(tiff)).toStrictEqual({ mime: 'image/tiff', supported: true });
  });

  it('reports other known formats by their type, unsupported', async () => {
    expect(await detectMediaType(Buffer.from('PK\x03\x04\x14\x00\x00\x00\x08\x00', 'latin1'))).toStrictEqual({
      mime: 'application/zip',
      supported: false,
    });
  });

  it('reports unknown binary as application/octet-stream', async () => {
    expect(await detectMediaType(Buffer.from([0x00, 0x01, 0x02, 0xfa, 0xfb, 0xfc, 0x7f]))).toEqual({
      mime: 'application/octet-stream',
      supported: false,
    });
  });

  it('reports zero bytes as an empty file, not as unknown binary', async () => {
    expect(await detectMediaType(Buffer.alloc(0))).toEqual({ mime: 'application/x-empty', supported: false });
  });
});
