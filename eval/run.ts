/**
 * Runs the offline document reader over the set generate.ts wrote and prints exact-match rates per
 * field, clean vs degraded, and the mean time per image. Writes eval/out/report.json.
 *
 *   npm run eval                          # generate (if needed) and evaluate with the defaults
 *   npm run eval -- --steps deskew=false  # the same with a preparation step switched off
 *   npm run eval -- --failures            # also print every mismatch
 */
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { InvoiceData } from '../src/profiles/invoice.js';
import type { ReceiptData } from '../src/profiles/receipt.js';
import { createDocumentReader } from '../src/providers/offline/documentReader.js';
import type { PreparationSteps } from '../src/ocr/prepareForOcr.js';
import { DEFAULT_STEPS } from '../src/ocr/prepareForOcr.js';
import { DEFAULT_COUNT, DEFAULT_SEED, writeSet } from './generate.js';
import { OUT_DIR, SET_DIR, type Sample } from './sample.js';

const FIELDS = ['vendor', 'invoice_number', 'date', 'total', 'currency', 'line_item_count'] as const;
type Field = (typeof FIELDS)[number];

interface Comparable {
  vendor: string | null;
  invoice_number: string | null;
  date: string | null;
  total: number | null;
  currency: string | null;
  line_item_count: number;
}

function comparable(profile: Sample['profile'], data: InvoiceData | ReceiptData | undefined): Comparable | undefined {
  if (data === undefined) return undefined;
  if (profile === 'invoice') {
    const invoice = data as InvoiceData;
    return {
      vendor: invoice.vendor,
      invoice_number: invoice.invoice_number,
      date: invoice.date,
      total: invoice.total,
      currency: invoice.currency,
      line_item_count: invoice.line_items.length,
    };
  }
  const receipt = data as ReceiptData;
  return {
    vendor: receipt.merchant,
    invoice_number: null,
    date: receipt.date,
    total: receipt.total,
    currency: receipt.currency,
    line_item_count: receipt.items.length,
  };
}

interface Outcome {
  expected: unknown;
  actual: unknown;
  ok: boolean;
}

interface SampleResult {
  id: string;
  profile: Sample['profile'];
  variant: Sample['variant'];
  degradations: string[];
  layout: string;
  ms: number;
  confidence: number;
  textChars: number;
  fields: Partial<Record<Field, Outcome>>;
  warnings: string[];
}

const same = (field: Field, expected: unknown, actual: unknown): boolean =>
  field === 'total'
    ? typeof expected === 'number' && typeof actual === 'number' && Math.abs(expected - actual) < 0.005
    : expected === actual;

function parseSteps(raw: string | undefined): Partial<PreparationSteps> {
  if (raw === undefined || raw === '') return {};
  const steps: Record<string, boolean | number> = {};
  for (const pair of raw.split(',')) {
    const [key = '', value = ''] = pair.split('=').map((part) => part.trim());
    if (!(key in DEFAULT_STEPS))
      throw new Error(`--steps: unknown step "${key}"; expected one of ${Object.keys(DEFAULT_STEPS).join(', ')}`);
    steps[key] = value === 'true' ? true : value === 'false' ? false : Number(value);
  }
  return steps as Partial<PreparationSteps>;
}

async function loadSamples(limit: number): Promise<Sample[]> {
  const names = (await readdir(SET_DIR)).filter((name) => name.endsWith('.json')).sort();
  const samples = await Promise.all(names.map(async (name) => JSON.parse(await readFile(new URL(name, SET_DIR), 'utf8')) as Sample));
  return samples.slice(0, limit);
}

const percent = (hits: number, total: number): string => (total === 0 ? '   -  ' : `${((100 * hits) / total).toFixed(1).padStart(5)}%`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string' },
      failures: { type: 'boolean', default: false },
      limit: { type: 'string', default: '100000' },
      only: { type: 'string' },
    },
  });
  // From a clean clone: the default set (npm run eval:generate writes others).
  if (!existsSync(SET_DIR)) await writeSet(DEFAULT_COUNT, DEFAULT_SEED);
  const steps = parseSteps(values.steps);
  const samples = (await loadSamples(Number(values.limit))).filter(
    (sample) => values.only === undefined || sample.id.includes(values.only),
  );
  const reader = createDocumentReader({ poolSize: 1, steps });
  const results: SampleResult[] = [];
  try {
    // A warm-up read so that worker start-up is not charged to the first image.
    const first = samples[0];
    if (first !== undefined)
      await reader.read(first.profile, {
        bytes: await readFile(new URL(first.image, SET_DIR)),
        mime: first.mime,
        width: first.width,
        height: first.height,
      });
    for (const [index, sample] of samples.entries()) {
      if (index % 10 === 0)
        process.stderr.write(`[eval] reading ${index + 1}-${Math.min(index + 10, samples.length)} of ${samples.length}\n`);
      const bytes = await readFile(new URL(sample.image, SET_DIR));
      const started = performance.now();
      // A failed read counts as every field missed; the error is kept in the report.
      const reading = await reader
        .read(sample.profile, { bytes, mime: sample.mime, width: sample.width, height: sample.height })
        .catch((error: unknown) => ({
          data: undefined,
          confidence: 0,
          text: '',
          warnings: [`read failed: ${error instanceof Error ? error.message : String(error)}`],
        }));
      const ms = performance.now() - started;
      const expected = comparable(sample.profile, sample.expected) as Comparable;
      const actual = comparable(sample.profile, reading.data);
      const fields = Object.fromEntries(
        FIELDS.filter((field) => !(field === 'invoice_number' && sample.profile === 'receipt')).map((field) => [
          field,
          { expected: expected[field], actual: actual?.[field] ?? null, ok: same(field, expected[field], actual?.[field]) },
        ]),
      ) as Partial<Record<Field, Outcome>>;
      results.push({
        id: sample.id,
        profile: sample.profile,
        variant: sample.variant,
        degradations: sample.degradations,
        layout: sample.layout,
        ms: Math.round(ms),
        confidence: reading.confidence,
        textChars: reading.text.length,
        fields,
        warnings: reading.warnings,
      });
      if (values.failures) {
        for (const [field, outcome] of Object.entries(fields)) {
          if (!outcome.ok)
            console.log(
              `${sample.id} [${sample.layout}; ${sample.degradations.join(', ')}] ${field}: expected ${JSON.stringify(outcome.expected)}, got ${JSON.stringify(outcome.actual)}`,
            );
        }
      }
    }
  } finally {
    await reader.close();
  }

  const summary: Record<string, Record<string, { hits: number; total: number }>> = {};
  for (const result of results) {
    for (const group of [result.variant, `${result.profile}/${result.variant}`]) {
      for (const [field, outcome] of Object.entries(result.fields)) {
        const cell = ((summary[group] ??= {})[field] ??= { hits: 0, total: 0 });
        cell.total++;
        if (outcome.ok) cell.hits++;
      }
    }
  }
  const groups = ['clean', 'degraded'];
  const count = (variant: string): number => results.filter((result) => result.variant === variant).length;
  console.log(`\n${'field'.padEnd(18)}${groups.map((group) => `${group} (n=${count(group)})`.padStart(18)).join('')}`);
  for (const field of FIELDS) {
    console.log(
      `${field.padEnd(18)}${groups.map((group) => `${percent(summary[group]?.[field]?.hits ?? 0, summary[group]?.[field]?.total ?? 0)}  ${`${summary[group]?.[field]?.hits ?? 0}/${summary[group]?.[field]?.total ?? 0}`.padStart(6)}`.padStart(18)).join('')}`,
    );
  }
  const times = results.map((result) => result.ms).sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / Math.max(1, times.length);
  const meanOf = (variant: string): number => {
    const own = results.filter((result) => result.variant === variant);
    return own.reduce((a, b) => a + b.ms, 0) / Math.max(1, own.length);
  };
  console.log(
    `\nmean time per image: ${Math.round(mean)} ms (clean ${Math.round(meanOf('clean'))} ms, degraded ${Math.round(meanOf('degraded'))} ms, max ${times.at(-1) ?? 0} ms)`,
  );
  await writeFile(
    new URL('report.json', OUT_DIR),
    `${JSON.stringify({ steps: { ...DEFAULT_STEPS, ...steps }, meanMs: Math.round(mean), summary, results }, null, 2)}\n`,
  );
  console.log(`report: ${new URL('report.json', OUT_DIR).pathname}`);
}

await main();
