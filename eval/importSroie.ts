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

interface SroieLabel {
  company?: string;
  date?: string;
  total?: string;
}

const pad = (value: string): string => value.padStart(2, '0');

/** `18/04/2018`, `28/04/18`, `30-04-2018`, `20180428`: SROIE prints dates day first. */
export function sroieDate(printed: string): string | null {
  const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(printed.trim());
  if (compact !== null) return `${compact[1]}-${compact[2]}-${compact[3]}`;
  const dayFirst = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$/.exec(printed.trim());
  if (dayFirst === null) return null;
  const [, day = '', month = '', year = ''] = dayFirst;
  return `${year.length === 2 ? `20${year}` : year}-${pad(month)}-${pad(day)}`;
}

/** `RM5.00` -> 5, `1,234.50` -> 1234.5. */
export function sroieTotal(printed: string): number | null {
  const digits = printed.replace(/[^\d.]/g, '');
  return /^\d+(\.\d+)?$/.test(digits) ? Number(digits) : null;
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
    const label = JSON.parse(await readFile(join(from, name), 'utf8')) as SroieLabel;
    const expected = {
      ...(label.company === undefined ? {} : { merchant: label.company }),
      ...(label.date === undefined ? {} : { date: sroieDate(label.date) }),
      ...(label.total === undefined ? {} : { total: sroieTotal(label.total) }),
    };
    await copyFile(join(from, image), join(to, image));
    await writeFile(join(to, `${image}${EXPECTED_SUFFIX}`), `${JSON.stringify(expected, null, 2)}\n`);
    written++;
  }
  console.log(`wrote ${written} labelled receipts to ${to}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
