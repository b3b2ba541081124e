import { describe, expect, it } from 'vitest';
import { ocrGrounding } from '../../src/ocr/ocrGrounding.js';

describe('ocrGrounding', () => {
  it('frames the OCR text as fallible help for the model', () => {
    const note = ocrGrounding('  Acme Ltd\nTotal  12.50 \n');
    expect(note).toContain('<ocr>\nAcme Ltd\nTotal  12.50\n</ocr>');
    expect(note).toMatch(/trust the image/);
  });

  it('returns nothing when OCR found no text', () => {
    expect(ocrGrounding(' \n ')).toBeNull();
  });

  it('cuts long text and says so', () => {
    const note = ocrGrounding('x'.repeat(100), 40) ?? '';
    expect(note).toContain(`${'x'.repeat(40)}\n[... OCR text cut at 40 characters]`);
    expect(note).not.toContain('x'.repeat(41));
  });
});
