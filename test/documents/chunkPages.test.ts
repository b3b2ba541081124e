import { describe, expect, it } from 'vitest';
import { chunkPages } from '../../src/documents/chunkPages.js';

const sizes = (pages: number, max: number): number[] => chunkPages(pages, max).map((chunk) => chunk.length);

describe('chunkPages', () => {
  it('sends up to the limit in one request', () => {
    expect(chunkPages(1, 10)).toEqual([[1]]);
    expect(chunkPages(10, 10)).toEqual([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]);
  });

  it('splits beyond the limit into as few requests as possible, as even as possible, earlier ones larger', () => {
    expect(chunkPages(11, 10)).toEqual([
      [1, 2, 3, 4, 5, 6],
      [7, 8, 9, 10, 11],
    ]);
    expect(sizes(20, 10)).toEqual([10, 10]);
    expect(sizes(21, 10)).toEqual([7, 7, 7]);
    expect(sizes(23, 10)).toEqual([8, 8, 7]);
    expect(sizes(200, 10)).toEqual(Array(20).fill(10));
    expect(sizes(2, 1)).toEqual([1, 1]);
  });

  it('keeps every page exactly once, in order, and never exceeds the limit', () => {
    for (let pages = 1; pages <= 60; pages++) {
      for (const max of [1, 3, 10, 50]) {
        const chunks = chunkPages(pages, max);
        expect(chunks.flat()).toEqual(Array.from({ length: pages }, (_, i) => i + 1));
        expect(Math.max(...chunks.map((chunk) => chunk.length))).toBeLessThanOrEqual(max);
        expect(chunks).toHaveLength(Math.ceil(pages / max));
      }
    }
  });

  it('refuses nonsense', () => {
    expect(() => chunkPages(0, 10)).toThrow(RangeError);
    expect(() => chunkPages(5, 0)).toThrow(RangeError);
  });
});
