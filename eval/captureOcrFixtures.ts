/**
 * Captures the OCR output (word boxes) of a few generated documents as JSON fixtures, so the
 * extraction rules can be tested quickly and deterministically without running OCR:
 *
 *   npx tsx eval/captureOcrFixtures.ts
 *
 * Each fixture keeps where it came from (seed, index, degradations) and the ground truth.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createOcrPool } from '../src/ocr/ocrPool.js';
import { DEFAULT_STEPS } from '../src/ocr/prepareForOcr.js';
import { readPage } from '../src/ocr/readPage.js';
import { generateSample } from './generate.js';

/** Fixture name -> document index in the set for FIXTURE_SEED (layouts and conditions as named). */
const FIXTURES: Readonly<Record<string, number>> = {
  'invoice-classic-usd': 20,
  'invoice-stacked-eur': 36,
  'invoice-plain-usd': 32,
  'invoice-banded-eur': 12,
  'invoice-stacked-rotated': 31,
  'receipt-thermal-tip': 68,
  'receipt-thermal-cash': 34,
  'receipt-columns-usd': 28,
};
const FIXTURE_SEED = 1;
const DIR = new URL('../test/fixtures/ocr/', import.meta.url);

const pool = createOcrPool();
try {
  await mkdir(DIR, { recursive: true });
  for (const [name, index] of Object.entries(FIXTURES)) {
    const { sample, bytes } = await generateSample(FIXTURE_SEED, index);
    const { page } = await readPage(pool, bytes, DEFAULT_STEPS, 100_000_000);
    const fixture = {
      source: { seed: FIXTURE_SEED, index, layout: sample.layout, degradations: sample.degradations },
      profile: sample.profile,
      expected: sample.expected,
      page,
    };
    await writeFile(new URL(`${name}.json`, DIR), `${JSON.stringify(fixture)}\n`);
    console.log(`${name}: ${sample.id} (${sample.layout}${sample.degradations.length > 0 ? `; ${sample.degradations.join(', ')}` : ''})`);
  }
} finally {
  await pool.close();
}
