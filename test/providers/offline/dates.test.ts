import { describe, expect, it } from 'vitest';
import { dateOrderOf, findCompactDates, findDates, findTime, parseDate } from '../../../src/providers/offline/dates.js';

describe('parseDate', () => {
  it.each([
    ['2024-03-05', '2024-03-05'],
    ['2024/03/05', '2024-03-05'],
    ['05.03.2024', '2024-03-05'],
    ['5 March 2024', '2024-03-05'],
    ['5th of March, 2024', '2024-03-05'],
    ['Mar 5, 2024', '2024-03-05'],
    ['March 5 2024', '2024-03-05'],
    ['05-Mar-2024', '2024-03-05'],
    ['Sept. 30, 2023', '2023-09-30'],
    ['Date: 15.01 2022', '2022-01-15'],
    ['12 maart 2024', '2024-03-12'],
    ['3 mei 2023', '2023-05-03'],
    ['5. März 2024', '2024-03-05'],
    ['1. Dezember 2022', '2022-12-01'],
    ['14 juillet 2024', '2024-07-14'],
    ['1er août 2023', '2023-08-01'],
    ['5 de marzo de 2024', '2024-03-05'],
    ['20 diciembre 2021', '2021-12-20'],
    ['Date: 21/08/2817', '2017-08-21'],
  ])('reads %s', (text, iso) => {
    expect(parseDate(text, 'DMY')).toBe(iso);
  });

  it('uses the order hint only when both numbers could be the day', () => {
    expect(parseDate('05/03/2024', 'DMY')).toBe('2024-03-05');
    expect(parseDate('05/03/2024', 'MDY')).toBe('2024-05-03');
    expect(parseDate('25/03/2024', 'MDY')).toBe('2024-03-25');
    expect(parseDate('03/25/2024', 'DMY')).toBe('2024-03-25');
  });

  it('reads dotted dates day first whatever the hint', () => {
    expect(parseDate('05.03.2024', 'MDY')).toBe('2024-03-05');
  });

  it('expands two-digit years', () => {
    expect(parseDate('05/03/24', 'DMY')).toBe('2024-03-05');
    expect(parseDate('05/03/98', 'DMY')).toBe('1998-03-05');
  });

  it('rejects dates that do not exist', () => {
    expect(parseDate('31/02/2024', 'DMY')).toBeNull();
    expect(parseDate('2023-02-29', 'DMY')).toBeNull();
    expect(parseDate('2024-02-29', 'DMY')).toBe('2024-02-29');
    expect(parseDate('13/13/2024', 'DMY')).toBeNull();
  });

  it('does not read amounts, months inside words or invoice numbers as dates', () => {
    expect(findDates('Total 12.50  Market Road 12  INV-2024-0042  2024/118', 'DMY')).toEqual([]);
  });

  it('reads a dotted zero that OCR took for 6, 8 or 9 as 0 when the date cannot exist otherwise', () => {
    expect(parseDate('03/69/2024', 'DMY')).toBe('2024-09-03');
    expect(parseDate('2022-62-18', 'DMY')).toBe('2022-02-18');
    expect(parseDate('16/08/2024', 'DMY')).toBe('2024-08-16');
    expect(dateOrderOf('03/69/2024', 'USD')).toBe('MDY');
  });

  it('marks a numeric date the hint had to decide as ambiguous', () => {
    expect(findDates('04/05/2024', 'DMY')[0]?.ambiguous).toBe(true);
    expect(findDates('24/05/2024', 'DMY')[0]?.ambiguous).toBe(false);
  });
});

describe('findCompactDates', () => {
  it('reads DDMMYYYY tokens and identifiers that start with YYYYMMDD, and nothing else', () => {
    expect(findCompactDates('DD: 24072017  12:44')).toEqual(['2017-07-24']);
    expect(findCompactDates('Invoice No: Z018042210100260452')).toEqual(['2018-04-22']);
    expect(findCompactDates('GST ID : 002017394688\nTel 0355423228\nOrder 12345678')).toEqual([]);
  });
});

describe('dateOrderOf', () => {
  it('follows an unambiguous date on the page', () => {
    expect(dateOrderOf('Date 04/05/2024  Due 04/19/2024', 'EUR')).toBe('MDY');
    expect(dateOrderOf('Date 04/05/2024  Due 19/05/2024', 'USD')).toBe('DMY');
  });

  it('falls back to the currency: month first for US dollars only', () => {
    expect(dateOrderOf('Date 04/05/2024', 'USD')).toBe('MDY');
    expect(dateOrderOf('Date 04/05/2024', 'GBP')).toBe('DMY');
    expect(dateOrderOf('Date 04/05/2024', null)).toBe('DMY');
  });
});

describe('findTime', () => {
  it.each([
    ['14:32', '14:32'],
    ['09:05:59', '09:05'],
    ['2:32 PM', '14:32'],
    ['12:05 am', '00:05'],
    ['12:30 p.m.', '12:30'],
    ['7.45 pm', '19:45'],
  ])('reads %s as %s', (text, time) => {
    expect(findTime(text)?.time).toBe(time);
  });

  it('does not read amounts or impossible times', () => {
    expect(findTime('Total 14.32')).toBeNull();
    expect(findTime('25:10')).toBeNull();
    expect(findTime('13:05 PM')).toBeNull();
  });
});
