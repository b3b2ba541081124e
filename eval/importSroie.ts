/**
 * Turns SROIE-style receipt labels (`X.labels.json`: company, date and total as printed) into a labelled
 * set for `npm run eval -- --set`: `receipts/X.jpg` with `X.jpg.expected.json` (merchant, date as
 * YYYY-MM-DD read day-first, total as a number). The labels are kept as they are, typos included.
 *
 *   npm run eval:import-sroie -- --from ../shared/real-docs/receipts --to eval/out/real
 */
import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EXPECTED_SUFFIX } from './labelledSet.js';

export interface SroieLabel {
  company?: string;
  date?: string;
  total?: string;
}

const pad = (value: string): string => value.padStart(2, '0');

/** A YYYY-MM-DD that names a day of the calendar (not 2018-02-30). */
function calendarDay(iso: string): string | null {
  const time = Date.parse(`${iso}T00:00:00Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().startsWith(iso) ? iso : null;
}

/** `18/04/2018`, `28/04/18`, `30-04-2018`, `20180428`: SROIE prints dates day first. */
export function sroieDate(printed: string): string | null {
  const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(printed.trim());
  if (compact !== null) return calendarDay(`${compact[1]}-${compact[2]}-${compact[3]}`);
  const dayFirst = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$/.exec(printed.trim());
  if (dayFirst === null) return null;
  const [, day = '', month = '', year = ''] = dayFirst;
  return calendarDay(`${year.length === 2 ? `20${year}` : year}-${pad(month)}-${pad(day)}`);
}

/** `RM5.00` -> 5, `1,234.50` -> 1234.5. */
export function sroieTotal(printed: string): number | null {
  const digits = printed.replace(/[^\d.]/g, '');
  return /^\d+(\.\d+)?$/.test(digits) ? Number(digits) : null;
}

/**
 * The receipt profile's fields from one SROIE label. A value that does not convert is left out (and named
 * in `unconverted`), never written as null: a null label would claim the receipt prints no such value.
 */
export function sroieExpected(label: SroieLabel): { expected: Record<string, string | number>; unconverted: string[] } {
  const expected: Record<string, string | number> = {};
  const unconverted: string[] = [];
  if (label.company !== undefined) expected['merchant'] = label.company;
  const date = label.date === undefined ? undefined : sroieDate(label.date);
  if (date === null) unconverted.push(`date "${label.date}"`);
  else if (date !== undefined) expected['date'] = date;
  const total = label.total === undefined ? undefined : sroieTotal(label.total);
  if (total === null) unconverted.push(`total "${label.total}"`);
  else if (total !== undefined) expected['total'] = total;
  return { expected, unconverted };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' } } });
  if (values.from === undefined || values.to === undefined) throw new Error('usage: npm run eval:import-sroie -- --from DIR --to DIR');
  const from = resolve(values.from);
  const to = join(resolve(values.to), 'receipts');
  await mkdir(to, { recursive: true });
  const labels = (await readdir(from)).filter((name) => name.endsWith('.labels.json')).sort();
  let written = 0;
  for (const name of labels) {
    const stem = name.slice(0, -'.labels.json'.length);
    const image = (await readdir(from)).find((candidate) => candidate.startsWith(`${stem}.`) && !candidate.endsWith('.json'));
    if (image === undefined) continue;
    const { expected, unconverted } = sroieExpected(JSON.parse(await readFile(join(from, name), 'utf8')) as SroieLabel);
    if (unconverted.length > 0) process.stderr.write(`[import] ${name}: left out ${unconverted.join(', ')} (not convertible)\n`);
    await copyFile(join(from, image), join(to, image));
    await writeFile(join(to, `${image}${EXPECTED_SUFFIX}`), `${JSON.stringify(expected, null, 2)}\n`);
    written++;
  }
  console.log(`wrote ${written} labelled receipts to ${to}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
