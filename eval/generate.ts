/**
 * Writes the generated labelled set: invoices and receipts rendered from SVG, half of them degraded,
 * each image with its ground truth beside it (`X.expected.json`) in eval/out/set/. Deterministic for a given --seed:
 * document i draws from its own PRNG stream, so --count only adds or removes documents.
 *
 *   npm run eval:generate -- --count 40 --seed 7
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { DEGRADATIONS, degrade, type Degradation } from './degrade.js';
import { randomInvoice, randomReceipt } from './documents.js';
import { createRandom, type Random } from './random.js';
import { renderInvoice, renderReceipt, type RenderedSvg } from './render.js';
import { EXPECTED_SUFFIX } from './labelledSet.js';
import { SET_DIR, type Sample } from './sample.js';

export interface GeneratedSample {
  sample: Sample;
  bytes: Buffer;
}

/** Document `index` of the set for `seed`: 3 in 5 are invoices, every other one is degraded. */
export async function generateSample(seed: number, index: number): Promise<GeneratedSample> {
  const random = createRandom(seed * 100_003 + index);
  const profile = index % 5 < 3 ? 'invoice' : 'receipt';
  const variant = index % 2 === 0 ? 'clean' : 'degraded';
  const id = `${String(index).padStart(4, '0')}-${profile}-${variant}`;
  const content = profile === 'invoice' ? randomInvoice(random) : randomReceipt(random);
  const rendered: RenderedSvg =
    'line_items' in content.truth
      ? renderInvoice(content as ReturnType<typeof randomInvoice>, random)
      : renderReceipt(content as ReturnType<typeof randomReceipt>, random);
  const png = await sharp(Buffer.from(rendered.svg)).png().toBuffer();
  const degraded = variant === 'degraded' ? await degrade(png, pickDegradations(random), random) : undefined;
  const bytes = degraded?.bytes ?? png;
  const mime = degraded?.mime ?? 'image/png';
  const base = {
    id,
    variant,
    degradations: degraded?.applied ?? [],
    layout: rendered.layout,
    font: rendered.font,
    locale: content.locale,
    image: `${id}.${mime === 'image/jpeg' ? 'jpg' : 'png'}`,
    mime,
    width: degraded?.width ?? rendered.width,
    height: degraded?.height ?? rendered.height,
  } as const;
  const sample: Sample =
    'line_items' in content.truth
      ? { ...base, profile: 'invoice', expected: content.truth }
      : { ...base, profile: 'receipt', expected: content.truth };
  return { sample, bytes };
}

/** One or two distinct degradations. */
function pickDegradations(random: Random): Degradation[] {
  const first = random.pick(DEGRADATIONS);
  if (random.chance(0.5)) return [first];
  const second = random.pick(DEGRADATIONS.filter((kind) => kind !== first));
  // Geometry first, then blur and noise, and JPEG encoding last, as a scan-then-upload would.
  return DEGRADATIONS.filter((kind) => kind === first || kind === second).sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
}

const ORDER: readonly Degradation[] = ['rotate', 'lowres', 'blur', 'noise', 'jpeg'];

/** Where a sample goes in the labelled set: the profile's folder, then clean/ or degraded/. */
export function samplePath(sample: Sample): string {
  return `${sample.profile === 'invoice' ? 'invoices' : 'receipts'}/${sample.variant}/${sample.image}`;
}

/** Replaces eval/out/set/ with `count` documents for `seed`, each image with its `.expected.json` beside it. */
export async function writeSet(count: number, seed: number): Promise<void> {
  await rm(SET_DIR, { recursive: true, force: true });
  for (let index = 0; index < count; index++) {
    if (index % 10 === 0) process.stderr.write(`[eval] generating ${index + 1}-${Math.min(index + 10, count)} of ${count}\n`);
    const { sample, bytes } = await generateSample(seed, index);
    const path = new URL(samplePath(sample), SET_DIR);
    await mkdir(new URL('.', path), { recursive: true });
    await writeFile(path, bytes);
    await writeFile(new URL(`${path.href}${EXPECTED_SUFFIX}`), `${JSON.stringify(sample.expected, null, 2)}\n`);
  }
  console.log(`wrote ${count} labelled images (seed ${seed}) to ${SET_DIR.pathname}`);
}

export const DEFAULT_COUNT = 40;
export const DEFAULT_SEED = 1;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { count: { type: 'string', default: String(DEFAULT_COUNT) }, seed: { type: 'string', default: String(DEFAULT_SEED) } },
  });
  const count = Number(values.count);
  const seed = Number(values.seed);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--count: expected a whole number >= 1, got "${values.count}"`);
  if (!Number.isInteger(seed)) throw new Error(`--seed: expected a whole number, got "${values.seed}"`);
  await writeSet(count, seed);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
