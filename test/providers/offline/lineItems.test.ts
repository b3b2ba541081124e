import { describe, expect, it } from 'vitest';
import { readItems } from '../../../src/providers/offline/lineItems.js';
import { analyseLayout } from '../../../src/providers/offline/ocrLayout.js';
import { line, page } from './support/pages.js';

const STOP = /^(sub[\s-]?total|total)\b/i;
const NOT_ITEMS = /\b(cash|change)\b/i;

describe('readItems', () => {
  it('reads a receipt without a header right to left, with "2 x" and two-line items', () => {
    const layout = analyseLayout(
      page(
        [
          line(200, 40, 'CORNER CAFE', 28),
          line(28, 120, '2024-03-05'),
          line(28, 180, '2 x Coffee'),
          line(480, 180, '7.00'),
          line(28, 210, 'Bagel'),
          line(60, 240, '3 @ 1.75'),
          line(480, 240, '5.25'),
          line(28, 270, 'Muffin'),
          line(480, 270, '2.49'),
          line(28, 330, 'TOTAL'),
          line(460, 330, '$14.74'),
          line(28, 360, 'CASH'),
          line(480, 360, '20.00'),
        ],
        576,
        420,
      ),
    );
    const reading = readItems(layout, STOP, NOT_ITEMS, 'items');
    expect(reading.items).toEqual([
      { description: 'Coffee', quantity: 2, unit_price: null, total: 7 },
      { description: 'Bagel', quantity: 3, unit_price: 1.75, total: 5.25 },
      { description: 'Muffin', quantity: null, unit_price: null, total: 2.49 },
    ]);
    expect(reading.headerRow).toBeNull();
    expect(reading.evidence['items[1].unit_price']).toMatchObject({ text: '1.75' });
    expect(reading.evidence['items[0].quantity']?.text).toBe('2 x');
  });

  it('assigns numbers to the header column they sit under', () => {
    const layout = analyseLayout(
      page([
        line(80, 500, 'Description'),
        line(690, 500, 'Qty'),
        line(850, 500, 'Unit price'),
        line(1080, 500, 'Amount'),
        line(80, 540, 'LED panel 60x60'),
        line(710, 540, '4'),
        line(880, 540, '12.50'),
        line(1090, 540, '50.00'),
        // No quantity printed on this line: the unit price must not slide into the quantity column.
        line(80, 580, 'Delivery charge'),
        line(880, 580, '15.00'),
        line(1090, 580, '15.00'),
        line(800, 640, 'Subtotal'),
        line(1090, 640, '65.00'),
      ]),
    );
    const reading = readItems(layout, STOP, NOT_ITEMS, 'line_items');
    expect(reading.headerRow).toBe(0);
    expect(reading.items).toEqual([
      { description: 'LED panel 60x60', quantity: 4, unit_price: 12.5, total: 50 },
      { description: 'Delivery charge', quantity: null, unit_price: 15, total: 15 },
    ]);
    expect([...reading.rows].sort()).toEqual([0, 1, 2]);
  });

  it('treats a lone price column (Item / Qty / Price) as the line total', () => {
    const layout = analyseLayout(
      page(
        [
          line(28, 100, 'Item'),
          line(330, 100, 'Qty'),
          line(480, 100, 'Price'),
          line(28, 130, 'Coffee'),
          line(350, 130, '2'),
          line(480, 130, '7.00'),
        ],
        576,
        300,
      ),
    );
    expect(readItems(layout, STOP, NOT_ITEMS, 'items').items).toEqual([{ description: 'Coffee', quantity: 2, unit_price: null, total: 7 }]);
  });
});
