import { describe, expect, it } from 'vitest';
import { analyseLayout, findLabelled, type Parser } from '../../../src/providers/offline/ocrLayout.js';
import { line, page } from './support/pages.js';

const anything: Parser<string> = (text) => {
  const match = /\S+/.exec(text);
  return match === null ? null : { value: match[0], start: match.index, end: match.index + match[0].length };
};

describe('analyseLayout', () => {
  it('joins engine lines on one baseline into a row and keeps far-apart columns as segments', () => {
    const layout = analyseLayout(page([line(760, 200, 'Invoice No:'), line(1100, 202, 'INV-42'), line(80, 201, 'Acme Ltd')]));
    expect(layout.rows).toHaveLength(1);
    expect(layout.rows[0]?.segments.map((segment) => segment.text)).toEqual(['Acme Ltd', 'Invoice No:', 'INV-42']);
  });

  it('cuts one engine line at a column-sized gap', () => {
    const cells = line(80, 300, 'Widget');
    cells.words.push(...line(700, 300, '2').words, ...line(1000, 300, '12.50').words);
    const layout = analyseLayout(page([cells]));
    expect(layout.rows[0]?.segments.map((segment) => segment.text)).toEqual(['Widget', '2', '12.50']);
  });

  it('orders rows top to bottom and normalises dashes', () => {
    const layout = analyseLayout(page([line(80, 400, 'second'), line(80, 100, 'INV\u20142024')]));
    expect(layout.text).toBe('INV-2024\nsecond');
  });
});

describe('findLabelled', () => {
  const layout = analyseLayout(
    page([
      line(80, 100, 'Invoice No: A-1'),
      line(80, 200, 'Date'),
      line(80, 225, '2024-03-05'),
      line(700, 400, 'Subtotal'),
      line(1000, 400, '10.00'),
      line(700, 440, 'Total'),
      line(850, 440, '2 items'),
      line(1100, 440, '12.00'),
    ]),
  );

  it('finds a value inline, to the right, or below its label', () => {
    expect(findLabelled(layout, { label: /invoice no:?/i, parse: anything })[0]).toMatchObject({ value: 'A-1', where: 'inline' });
    expect(findLabelled(layout, { label: /^date$/i, parse: anything })[0]).toMatchObject({ value: '2024-03-05', where: 'below' });
    expect(findLabelled(layout, { label: /^subtotal$/i, parse: anything })[0]).toMatchObject({ value: '10.00', where: 'right' });
  });

  it('takes the farthest value to the right when asked (amount columns are right-aligned)', () => {
    expect(findLabelled(layout, { label: /^total$/i, parse: anything })[0]?.value).toBe('2');
    expect(findLabelled(layout, { label: /^total$/i, parse: anything, farthest: true })[0]?.value).toBe('12.00');
  });

  it('honours exclusions, placements and skipped rows', () => {
    expect(
      findLabelled(layout, { label: /total/i, exclude: /subtotal/i, parse: anything, farthest: true }).map((found) => found.value),
    ).toEqual(['12.00']);
    expect(findLabelled(layout, { label: /^date$/i, parse: anything, where: ['inline', 'right'] })).toEqual([]);
    const totalRow = layout.rows.find((row) => row.text.startsWith('Total'))?.index ?? -1;
    expect(findLabelled(layout, { label: /^total$/i, parse: anything, skipRows: new Set([totalRow]) })).toEqual([]);
  });

  it('returns the words the value and the label were read from', () => {
    const [found] = findLabelled(layout, { label: /invoice no:?/i, parse: anything });
    expect(found?.words.map((word) => word.text)).toEqual(['A-1']);
    expect(found?.label.map((word) => word.text)).toEqual(['Invoice', 'No:']);
  });
});
