import { describe, expect, it } from 'vitest';
import {
  blobNameProblem,
  MAX_BLOB_NAME_CHARS,
  MAX_BLOB_NAME_SEGMENTS,
  MAX_UPLOAD_NAME_CHARS,
  MAX_UPLOAD_NAME_SEGMENTS,
} from '../../src/contracts/blobNameRules.js';
import { attemptPath } from '../../src/contracts/blobPaths.js';
import { poisonedPath } from '../../src/contracts/blobPaths.js';
import { resultPath } from '../../src/contracts/blobPaths.js';

const derived = (name: string) => [resultPath(name), attemptPath(name), poisonedPath(name)];

describe('blob names the storage service would refuse', () => {
  it('a lone surrogate, high or low, anywhere in the name', () => {
    for (const name of ['\ud800x.png', 'x\udfff.png', 'a/\udbff']) expect(blobNameProblem(name)).toMatch(/lone surrogate U\+D[89A-F]/);
    // A pair is one ordinary code point.
    expect(blobNameProblem('emoji-\ud83d\ude00.png')).toBeUndefined();
  });

  it('C0 and C1 controls, DEL, non-characters and private-use characters, named by code point', () => {
    const cases: [string, string][] = [
      ['a\u0001.png', 'U+0001'],
      ['a\u007f.png', 'U+007F'],
      ['a\u0085.png', 'U+0085'],
      ['a\u009f.png', 'U+009F'],
      ['a\ufdd0.png', 'U+FDD0'],
      ['a\ufffe.png', 'U+FFFE'],
      ['a\uffff.png', 'U+FFFF'],
      ['a\u{1fffe}.png', 'U+1FFFE'],
      ['a\u{10ffff}.png', 'U+10FFFF'],
      ['a\ue000.png', 'U+E000'],
    ];
    for (const [name, label] of cases) expect(blobNameProblem(name)).toContain(label);
    for (const name of ['café.png', 'a\u00a0b.png', '\u4e2d\u6587.png', 'a\ufdcf.png', 'a\ufdf0.png'])
      expect(blobNameProblem(name)).toBeUndefined();
  });

  it('names whose derived paths would pass 1,024 characters', () => {
    const longest = 'x'.repeat(MAX_UPLOAD_NAME_CHARS);
    expect(blobNameProblem(longest)).toBeUndefined();
    expect(Math.max(...derived(longest).map((path) => path.length))).toBe(MAX_BLOB_NAME_CHARS);
    expect(blobNameProblem(`${longest}x`)).toContain(`is ${MAX_UPLOAD_NAME_CHARS + 1} characters; at most ${MAX_UPLOAD_NAME_CHARS}`);
    // 1,011 characters is within Azure's limit for the upload itself but not for poisoned/<name>.json.
    expect(MAX_UPLOAD_NAME_CHARS).toBeLessThan(1011);
    // Characters outside the BMP count twice, as the service counts them at worst.
    expect(blobNameProblem('\u{1f600}'.repeat(MAX_UPLOAD_NAME_CHARS / 2 + 1))).toMatch(/characters; at most/);
  });

  it('names whose derived paths would pass 254 segments', () => {
    const deepest = Array.from({ length: MAX_UPLOAD_NAME_SEGMENTS }, () => 'd').join('/');
    expect(blobNameProblem(deepest)).toBeUndefined();
    expect(Math.max(...derived(deepest).map((path) => path.split('/').length))).toBe(MAX_BLOB_NAME_SEGMENTS);
    expect(blobNameProblem(`${deepest}/d`)).toContain(
      `has ${MAX_UPLOAD_NAME_SEGMENTS + 1} path segments; at most ${MAX_UPLOAD_NAME_SEGMENTS}`,
    );
  });

  it('an empty name, backslashes, URLs and climbing paths', () => {
    expect(blobNameProblem('')).toBe('must not be empty');
    expect(blobNameProblem('a\\b.png')).toContain('backslashes');
    expect(blobNameProblem('https://x.example/a.png')).toContain('not a URL');
    expect(blobNameProblem('a/../b.png')).toContain('".."');
    expect(blobNameProblem('invoices/2024/march.pdf')).toBeUndefined();
  });
});
