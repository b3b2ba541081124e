import { describe, expect, it } from 'vitest';
import { sroieDate, sroieExpected, sroieTotal } from '../../eval/importSroie.js';

describe('SROIE label conversion', () => {
  it('reads dates day first and writes them as YYYY-MM-DD', () => {
    expect(sroieDate('18/04/2018')).toBe('2018-04-18');
    expect(sroieDate('28/04/18')).toBe('2018-04-28');
    expect(sroieDate('30-04-2018')).toBe('2018-04-30');
    expect(sroieDate('4.5.2018')).toBe('2018-05-04');
    expect(sroieDate(' 20180428 ')).toBe('2018-04-28');
    // Day first even where month first would also make a date.
    expect(sroieDate('04/05/2018')).toBe('2018-05-04');
  });

  it('gives null for what is not a day of the calendar', () => {
    expect(sroieDate('12/25/2018')).toBeNull();
    expect(sroieDate('30/02/2018')).toBeNull();
    expect(sroieDate('April 18, 2018')).toBeNull();
    expect(sroieDate('')).toBeNull();
  });

  it('turns printed totals into numbers', () => {
    expect(sroieTotal('1.75')).toBe(1.75);
    expect(sroieTotal('RM5.00')).toBe(5);
    expect(sroieTotal('RM 20.40')).toBe(20.4);
    expect(sroieTotal('1,234.50')).toBe(1234.5);
    expect(sroieTotal('RM')).toBeNull();
    expect(sroieTotal('1.234.50')).toBeNull();
  });

  it("maps company, date and total to the receipt profile's merchant, date and total, as printed otherwise", () => {
    // A label as read from disk: the address is not a field of the receipt profile and is dropped.
    const label = { company: 'AEON CO. (M) BHD', date: '18/04/2018', address: 'KUALA LUMPUR', total: 'RM5.00' };
    expect(sroieExpected(label)).toEqual({ expected: { merchant: 'AEON CO. (M) BHD', date: '2018-04-18', total: 5 }, unconverted: [] });
  });

  it('leaves out a value it cannot convert instead of labelling it null', () => {
    const { expected, unconverted } = sroieExpected({ company: 'SHOP', date: '31/31/2018', total: 'n/a' });
    expect(expected).toEqual({ merchant: 'SHOP' });
    expect(unconverted).toEqual(['date "31/31/2018"', 'total "n/a"']);
    expect(sroieExpected({}).expected).toEqual({});
  });
});
