/**
 * Comparison manifests end to end through the local host: several images in one request, in order,
 * one result naming every source with its ETag; manifest-only prefixes; and every way a manifest can be
 * wrong ending in a permanent failure record without a model call.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareProfile } from '../../src/profiles/compare.js';
import { describeSchema } from '../../src/profiles/describe.js';
import { resultPath } from '../../src/contracts/blobPaths.js';
import { exampleResult } from '../support/profileExamples.js';
import {
  deploymentEnv,
  schemaAnswer,
  startOpenAiCompatibleServer,
  type OpenAiCompatibleServer,
  type RecordedRequest,
} from '../support/openaiCompatibleServer.js';
import { startTestHost, type TestHost } from '../support/testHost.js';
import { fixture } from '../support/fixtures.js';

type Part = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string; detail: string } };
interface ChatBody {
  messages: { role: string; content: string | Part[] }[];
  response_format: { json_schema: { name: string; schema: unknown; strict: boolean } };
}
const bodyOf = (request: RecordedRequest | undefined): ChatBody => request?.body as ChatBody;
const schemaName = (request: RecordedRequest): string | undefined => bodyOf(request).response_format.json_schema.name;

describe('comparison manifests end to end', () => {
  let server: OpenAiCompatibleServer;
  let t: TestHost;
  beforeAll(async () => {
    const profiles = join(mkdtempSync(join(tmpdir(), 'compare-e2e-')), 'profiles.yaml');
    writeFileSync(profiles, 'manifestOnlyPrefixes:\n  - compare/\n');
    server = await startOpenAiCompatibleServer();
    // Comparisons get the documented example; images analysed on their own get a schema-valid `describe` answer.
    server.setHandler((request) =>
      schemaName(request) === 'compare' ? { content: JSON.stringify(exampleResult('compare')) } : schemaAnswer(request),
    );
    t = await startTestHost({
      env: {
        ...deploymentEnv(server.url),
        PROFILES_FILE: profiles,
        MAX_COMPARE_IMAGES: '3',
      },
    });
  });
  afterAll(async () => {
    await t.stop();
    await server.close();
  });

  const manifest = (value: unknown): string => JSON.stringify(value);
  const compareRequests = (): RecordedRequest[] => server.requests.filter((request) => schemaName(request) === 'compare');

  it('sends three images in one request, in order, and writes one result naming every source with its ETag', async () => {
    const images = [
      { name: 'compare/q1/jan.png', fixture: 'screenshot.png', size: [512, 320] },
      { name: 'compare/q1/feb.png', fixture: 'chart.png', size: [480, 320] },
      { name: 'compare/q1/mar.png', fixture: 'invoice.png', size: [512, 512] },
    ];
    const etags: string[] = [];
    for (const image of images) etags.push(await t.upload(image.name, fixture(image.fixture)));
    const prompt = 'Our service dashboards at the end of January, February and March. What changed, and what is concerning?';
    const before = server.requests.length;
    const manifestEtag = await t.upload('compare/q1/dashboards.compare.json', manifest({ images: images.map((i) => i.name), prompt }));
    const record = await t.waitForRecord('compare/q1/dashboards.compare.json');

    // One request in all: the images under the manifest-only prefix were not analysed on their own.
    expect(server.requests).toHaveLength(before + 1);
    const body = bodyOf(server.requests.at(-1));
    expect(body.messages[0]).toEqual({ role: 'system', content: compareProfile.system });
    const parts = body.messages[1]?.content as Part[];
    expect(parts.filter((part) => part.type === 'text')).toEqual([
      { type: 'text', text: `${compareProfile.user}\n\n${prompt}` },
      ...images.map((image, index) => ({ type: 'text', text: `Image ${index + 1}: ${image.name}` })),
    ]);
    expect(parts.map((part) => part.type)).toEqual(['text', 'text', 'image_url', 'text', 'image_url', 'text', 'image_url']);
    const sent = parts.filter((part): part is Extract<Part, { type: 'image_url' }> => part.type === 'image_url');
    expect(sent.map((part) => part.image_url.detail)).toEqual(['low', 'low', 'low']);
    const sizes = await Promise.all(
      sent.map(async (part) => {
        expect(part.image_url.url).toMatch(/^data:image\/(png|jpeg);base64,/);
        const meta = await sharp(Buffer.from(part.image_url.url.split(',')[1] ?? '', 'base64')).metadata();
        return [meta.width, meta.height];
      }),
    );
    expect(sizes).toEqual(images.map((image) => image.size));
    expect(body.response_format.json_schema).toEqual({ name: 'compare', schema: compareProfile.jsonSchema, strict: true });

    expect(record.status).toBe('succeeded');
    expect(record.profile).toBe('compare');
    expect(record.source).toMatchObject({ blob: 'compare/q1/dashboards.compare.json', etag: manifestEtag, mime: 'application/json' });
    expect(record.sources?.map(({ blob, etag, width, height }) => ({ blob, etag, width, height }))).toEqual([
      { blob: 'compare/q1/jan.png', etag: etags[0], width: 640, height: 400 },
      { blob: 'compare/q1/feb.png', etag: etags[1], width: 480, height: 320 },
      { blob: 'compare/q1/mar.png', etag: etags[2], width: 800, height: 800 },
    ]);
    expect(record.sources?.every((source) => source.mime === 'image/png' && source.sha256?.length === 64)).toBe(true);
    expect(record.detail).toBe('low');
    expect(record.usage.imageTokensEstimated).toBe(3 * 70);
    expect(record.data).toEqual(exampleResult('compare'));
    for (const image of images) expect(await t.results.read(resultPath(image.name)), image.name).toBeUndefined();
  });

  it('also analyses the images on their own when they are not under a manifest-only prefix', async () => {
    await t.upload('shots/a.png', fixture('screenshot.png'));
    await t.upload('shots/b.jpg', fixture('photo.jpg'));
    await t.upload('reports/ab.compare.json', manifest({ images: ['shots/a.png', 'shots/b.jpg'], prompt: 'Which one is a photo?' }));
    const record = await t.waitForRecord('reports/ab.compare.json');
    expect(record.status).toBe('succeeded');
    expect(record.sources?.map((source) => source.blob)).toEqual(['shots/a.png', 'shots/b.jpg']);
    for (const name of ['shots/a.png', 'shots/b.jpg']) {
      const own = await t.waitForRecord(name);
      expect(own.profile).toBe('describe');
      expect(describeSchema.safeParse(own.data).success).toBe(true);
    }
  });

  it('takes the profile the manifest names, with that profile’s detail level', async () => {
    await t.upload('compare/pages/1.png', fixture('invoice.png'));
    await t.upload('compare/pages/2.png', fixture('invoice.png'));
    server.reply({ content: JSON.stringify(exampleResult('invoice')) });
    await t.upload(
      'compare/pages/invoice.compare.json',
      manifest({ images: ['compare/pages/1.png', 'compare/pages/2.png'], prompt: 'Both pages are one invoice.', profile: 'invoice' }),
    );
    const record = await t.waitForRecord('compare/pages/invoice.compare.json');
    expect(record).toMatchObject({ status: 'succeeded', profile: 'invoice', detail: 'high', data: exampleResult('invoice') });
    const parts = bodyOf(server.requests.at(-1)).messages[1]?.content as Part[];
    expect(parts.filter((part) => part.type === 'image_url')).toHaveLength(2);
  });

  describe('manifest errors end in a permanent failure record, without a model call', () => {
    async function failure(name: string, body: string) {
      const before = compareRequests().length;
      await t.upload(name, body);
      const record = await t.waitForRecord(name);
      expect(record.status).toBe('failed');
      expect(record.error?.retryable).toBe(false);
      expect(record.attempt).toBe(1);
      expect(compareRequests()).toHaveLength(before);
      return record;
    }

    it('an image that does not exist', async () => {
      await t.upload('compare/m/one.png', fixture('chart.png'));
      const record = await failure(
        'compare/m/missing.compare.json',
        manifest({ images: ['compare/m/one.png', 'compare/m/two.png', 'compare/m/three.png'], prompt: 'x' }),
      );
      expect(record.error?.code).toBe('manifest_image_missing');
      expect(record.error?.message).toBe(
        `the manifest names 2 images not in container "${t.config.names.inputContainer}": compare/m/two.png, compare/m/three.png`,
      );
      expect(record.error?.details).toEqual({ missing: ['compare/m/two.png', 'compare/m/three.png'] });
    });

    it('more images than MAX_COMPARE_IMAGES', async () => {
      const record = await failure('compare/m/many.compare.json', manifest({ images: ['a.png', 'b.png', 'c.png', 'd.png'], prompt: 'x' }));
      expect(record.error?.code).toBe('manifest_too_many_images');
      expect(record.error?.message).toBe('the manifest names 4 images; one comparison takes at most 3 (MAX_COMPARE_IMAGES)');
    });

    it('a URL instead of a blob name', async () => {
      const record = await failure('compare/m/url.compare.json', manifest({ images: ['https://example.com/jan.png'], prompt: 'x' }));
      expect(record.error?.code).toBe('manifest_invalid');
      expect(record.error?.message).toContain('images[0]: must be a blob name, not a URL');
    });

    it('a manifest that is not JSON', async () => {
      const record = await failure('compare/m/text.compare.json', 'images: jan.png, feb.png');
      expect(record.error?.code).toBe('manifest_invalid');
      expect(record.error?.message).toMatch(/^the manifest is not JSON/);
      expect(record.source.mime).toBeNull();
    });

    it('an image that is not an image, named by its place in the manifest', async () => {
      await t.upload('compare/m/chart.png', fixture('chart.png'));
      await t.upload('compare/m/notes.png', fixture('notes.txt'));
      const record = await failure(
        'compare/m/notes.compare.json',
        manifest({ images: ['compare/m/chart.png', 'compare/m/notes.png'], prompt: 'x' }),
      );
      expect(record.error?.code).toBe('unsupported_media_type');
      expect(record.error?.message).toMatch(/^images\[1\] "compare\/m\/notes\.png": /);
      expect(record.sources?.map((source) => [source.blob, source.mime])).toEqual([
        ['compare/m/chart.png', 'image/png'],
        ['compare/m/notes.png', 'text/plain'],
      ]);
    });
  });
});
