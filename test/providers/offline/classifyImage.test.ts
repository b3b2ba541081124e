import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { detectMediaType } from '../../../src/media/detectMediaType.js';
import { prepareImage } from '../../../src/media/prepareImage.js';
import { describeProfile, describeSchema } from '../../../src/profiles/describe.js';
import type { Profile } from '../../../src/profiles/types.js';
import { classifyKind, textCounts } from '../../../src/providers/offline/classifyImage.js';
import { imageFacts } from '../../../src/providers/offline/imageFacts.js';
import { createOfflineProvider } from '../../../src/providers/offlineProvider.js';
import { RENDER } from '../../support/renderSettings.js';

const provider = createOfflineProvider();
afterAll(() => provider.close());

async function prepared(bytes: Buffer) {
  const { mime } = await detectMediaType(bytes);
  return prepareImage(bytes, mime, { model: 'gpt-4o', detail: 'low', format: 'auto', maxInputPixels: 100_000_000, render: RENDER });
}

async function describeKind(name: string, bytes: Buffer): Promise<string> {
  const { image, source } = await prepared(bytes);
  const response = await provider.analyze({ profile: describeProfile as Profile, images: [{ name, image, source }] });
  return describeSchema.parse(response.data).image_type;
}

/** The SVG fixtures drawn by sharp as PNG, as an upload would arrive (the worker refuses SVG itself). */
const rendered = (name: string): Promise<Buffer> =>
  sharp(readFileSync(new URL(`../../fixtures/kinds/${name}.svg`, import.meta.url)))
    .png()
    .toBuffer();

describe('image type of charts and diagrams drawn here (test/fixtures/kinds/*.svg)', () => {
  it.each([
    ['bar-chart', 'chart'],
    ['line-chart', 'chart'],
    ['pie-chart', 'chart'],
    ['scatter-chart', 'chart'],
    ['flowchart', 'diagram'],
    ['architecture', 'diagram'],
  ])('describe calls %s a %s', async (name, kind) => {
    expect(await describeKind(`${name}.png`, await rendered(name))).toBe(kind);
  });

  it('tells diagrams from pixels alone, and says why', async () => {
    const { image, source } = await prepared(await rendered('flowchart'));
    const facts = await imageFacts(image, source);
    expect(facts.kind).toBe('diagram');
    expect(facts.kindReason).toMatch(/^\d+ boxes are outlined by thin lines$/);
  });

  it('a line chart needs its numeric labels: the same pixels with the words of a page of prose are a document', async () => {
    const { image, source } = await prepared(await rendered('line-chart'));
    const facts = await imageFacts(image, source);
    expect(classifyKind(facts.measures, facts, textCounts('200 150 100 50 0 00:00 04:00 08:00 eu-west us-east'))).toMatchObject({
      kind: 'chart',
    });
    expect(classifyKind(facts.measures, facts, textCounts('the quick brown fox jumps over the lazy dog '.repeat(6))).kind).toBe('document');
  });

  it('calls a near-white page at least 1.8 times as tall as wide a receipt', async () => {
    const { image, source } = await prepared(readFileSync(new URL('../../fixtures/invoice.png', import.meta.url)));
    const facts = await imageFacts(image, source);
    expect(facts.kind).toBe('document');
    expect(classifyKind(facts.measures, { width: 300, height: 900 }).kind).toBe('receipt');
  });
});

describe('image type of a chart, a screenshot and a photo', () => {
  const render = (svg: string): Promise<Buffer> => sharp(Buffer.from(svg)).png().toBuffer();

  it('tells a chart from a screenshot from a photo', async () => {
    const colours = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4'];
    const chart = await render(
      `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="500"><rect width="100%" height="100%" fill="#fff"/>` +
        `<text x="400" y="40" font-family="DejaVu Sans" font-size="24" text-anchor="middle">Sales 2024</text>` +
        `<line x1="80" y1="440" x2="760" y2="440" stroke="#000" stroke-width="2"/><line x1="80" y1="80" x2="80" y2="440" stroke="#000" stroke-width="2"/>` +
        [0, 10, 20, 30, 40]
          .map((v, i) => `<text x="70" y="${445 - i * 85}" font-family="DejaVu Sans" font-size="18" text-anchor="end">${v}</text>`)
          .join('') +
        colours
          .map((c, i) => `<rect x="${120 + i * 125}" y="${440 - (i + 1) * 65}" width="80" height="${(i + 1) * 65}" fill="${c}"/>`)
          .join('') +
        ['Q1', 'Q2', 'Q3', 'Q4', 'Q5']
          .map((q, i) => `<text x="${160 + i * 125}" y="470" font-family="DejaVu Sans" font-size="18" text-anchor="middle">${q}</text>`)
          .join('') +
        `</svg>`,
    );
    const screenshot = await render(
      `<svg xmlns="http://www.w3.org/2000/svg" width="1280" height="720"><rect width="100%" height="100%" fill="#1e1e1e"/>` +
        `<rect width="260" height="720" fill="#252526"/><rect width="1280" height="36" fill="#3c3c3c"/>` +
        ['Explorer', 'src', 'index.ts', 'config.ts', 'errors.ts', 'README.md']
          .map((t, i) => `<text x="20" y="${80 + i * 30}" font-family="DejaVu Sans" font-size="17" fill="#ccc">${t}</text>`)
          .join('') +
        Array.from(
          { length: 16 },
          (_, i) =>
            `<text x="300" y="${80 + i * 36}" font-family="DejaVu Sans Mono" font-size="18" fill="#d4d4d4">const value${i} = compute(input, ${i * 7});</text>`,
        ).join('') +
        `</svg>`,
    );
    // Continuous tones: a coarse random field blown up smoothly, as a photo has.
    const field = Buffer.from(Array.from({ length: 24 * 16 * 3 }, (_, i) => (i * 7919 + ((i * i) % 251)) % 256));
    const photoBytes = await sharp(field, { raw: { width: 24, height: 16, channels: 3 } })
      .resize(960, 640, { kernel: 'cubic' })
      .jpeg()
      .toBuffer();

    expect(await describeKind('chart.png', chart)).toBe('chart');
    expect(await describeKind('screenshot.png', screenshot)).toBe('screenshot');
    expect(await describeKind('photo.jpg', photoBytes)).toBe('photo');
  });
});

/** A screenshot nobody here made, shipped inside the azurite npm package; other third-party figures are in docs/offline.md. */
const AZURITE_SCREENSHOT = new URL(
  '../../../node_modules/azurite/docs/designs/meta/resources/2023-10-in-memory-persistence/high-memory.png',
  import.meta.url,
).pathname;

describe('image type of a third-party image', () => {
  it('calls the screenshot in the azurite package a screenshot', async () => {
    expect(await describeKind(AZURITE_SCREENSHOT, readFileSync(AZURITE_SCREENSHOT))).toBe('screenshot');
  });
});
