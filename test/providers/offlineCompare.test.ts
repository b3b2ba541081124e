/** Without a model, a comparison still gets the facts of every image and an honest note that the content was not compared. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectMediaType } from '../../src/media/detectMediaType.js';
import { prepareImage } from '../../src/media/prepareImage.js';
import { compareProfile, compareSchema } from '../../src/profiles/compare.js';
import { describeProfile, describeSchema } from '../../src/profiles/describe.js';
import type { Profile } from '../../src/profiles/types.js';
import { createOfflineProvider } from '../../src/providers/offlineProvider.js';
import type { RequestImage } from '../../src/media/imageTypes.js';
import { RENDER } from '../support/renderSettings.js';

async function requestImage(fixture: string, name: string, profile: Profile): Promise<RequestImage> {
  const bytes = readFileSync(new URL(`../fixtures/${fixture}`, import.meta.url));
  const { mime } = await detectMediaType(bytes);
  const { image, source } = await prepareImage(bytes, mime, {
    model: 'gpt-4o',
    detail: profile.detail,
    format: profile.prepare.format,
    maxInputPixels: 1e8,
    render: RENDER,
  });
  return { name, image, source };
}

describe('offline provider: several images', () => {
  it('answers a comparison with the facts of each image, in order, and what differs', async () => {
    const profile = compareProfile as Profile;
    const images = [await requestImage('screenshot.png', 'q1/jan.png', profile), await requestImage('photo.jpg', 'q1/feb.jpg', profile)];
    const response = await createOfflineProvider().analyze({ profile, images });
    const data = compareSchema.parse(response.data);
    expect(data.per_image.map((entry) => entry.image)).toEqual(['q1/jan.png', 'q1/feb.jpg']);
    expect(data.per_image[0]?.notes).toMatch(/^A landscape PNG image of 640x400 pixels; it looks like a screenshot/);
    expect(data.per_image[1]?.notes).toMatch(/^A portrait JPEG image of 320x480 pixels; it looks like a photo/);
    expect(data.changes).toEqual([
      { aspect: 'size', change: '640x400 -> 320x480' },
      { aspect: 'kind of image', change: 'screenshot -> photo' },
    ]);
    expect(data.concerns).toEqual([]);
    expect(response.warnings).toEqual([
      expect.stringMatching(/^the offline provider cannot compare the content of images without a model endpoint/),
    ]);
  });

  it('answers any other profile for the first image and says the rest were not looked at', async () => {
    const profile = describeProfile as Profile;
    const images = [await requestImage('photo.jpg', 'a.jpg', profile), await requestImage('screenshot.png', 'b.png', profile)];
    const provider = createOfflineProvider();
    const response = await provider.analyze({ profile, images }).finally(() => provider.close());
    expect(describeSchema.parse(response.data).image_type).toBe('photo');
    expect(response.warnings).toEqual(['the offline provider answered for the first of 2 images only']);
  });
});
