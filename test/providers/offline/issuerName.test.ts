import { describe, expect, it } from 'vitest';
import { issuer } from '../../../src/providers/offline/issuerName.js';
import { analyseLayout } from '../../../src/providers/offline/ocrLayout.js';
import { line, page } from './support/pages.js';

const nameOn = (...lines: Parameters<typeof page>[0]): string | undefined => issuer(analyseLayout(page(lines)))?.value;

describe('issuer', () => {
  it('picks the largest text near the top, skipping titles', () => {
    expect(nameOn(line(80, 80, 'Acme Supplies', 32), line(900, 80, 'INVOICE', 40), line(80, 130, '12 High Street, Leeds'))).toBe(
      'Acme Supplies',
    );
  });

  it('is not fooled by one word whose box a rule has stretched', () => {
    const stretched = line(80, 300, 'Qty', 16);
    const word = stretched.words[0]!;
    word.box = { ...word.box, y1: word.box.y0 + 40 };
    expect(issuer(analyseLayout(page([line(300, 80, 'Bluebird Software GmbH', 28), stretched], 1240, 1000)))?.value).toBe(
      'Bluebird Software GmbH',
    );
  });

  it('prefers the line with a legal form over larger headings and cuts the registration number after it', () => {
    expect(
      nameOn(
        line(80, 80, 'AEON CO. (M) BHD (126926-H)', 20),
        line(80, 110, '3RD FLR, AEON TAMAN MALURI SC', 20),
        line(80, 140, 'GST ID : 002017394688', 20),
        line(80, 170, 'SHOPPING HOURS', 30),
      ),
    ).toBe('AEON CO. (M) BHD');
  });

  it('reads SON BHD as SDN BHD and joins a name printed over two lines', () => {
    expect(
      nameOn(line(80, 80, 'WESTERN EASTERN', 18), line(80, 102, 'STATIONERY SON. BHD', 18), line(80, 124, 'CO REG NO : 210038-K')),
    ).toBe('WESTERN EASTERN STATIONERY SDN. BHD');
  });

  it('skips people, greetings, labels and addresses', () => {
    expect(
      nameOn(
        line(80, 60, 'Welcome to the Family', 22),
        line(80, 90, 'Name: MRS YUEN', 30),
        line(80, 130, "DOMINO'S PIZZA", 20),
        line(80, 160, '30, Jln Kebudayaan 7, Tmn Universiti', 24),
      ),
    ).toBe("DOMINO'S PIZZA");
  });

  it('keeps a street word in a shop name without a number', () => {
    expect(nameOn(line(80, 80, 'PINE STREET PHARMACY', 24), line(80, 120, '12 Mill Road, Leeds', 16))).toBe('PINE STREET PHARMACY');
  });

  it('does not look past the start of the customer block', () => {
    expect(nameOn(line(80, 80, 'INVOICE', 30), line(80, 130, 'Bill to:', 16), line(80, 160, 'Initech Ltd', 16))).toBeUndefined();
  });
});

describe('issuer on OCR misreadings of a legal form', () => {
  it('reads SIN/SON and EHD/BMD as SDN BHD, and joins a BHD set apart by wide spacing', () => {
    expect(nameOn(line(80, 80, 'DIGI TELECOMMUNICATIONS SDN EHD', 20), line(80, 110, 'LOT LG 315, 1-UTAMA', 20))).toBe(
      'DIGI TELECOMMUNICATIONS SDN BHD',
    );
    expect(nameOn(line(80, 80, 'SUBANG HEALTHCARE SIN', 20), line(600, 80, 'BHD', 20), line(80, 110, 'GST NO: 001534708608'))).toBe(
      'SUBANG HEALTHCARE SDN BHD',
    );
  });
});
