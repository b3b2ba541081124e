/** Comparison manifests are untrusted input: each way one can be wrong has its own permanent code and a message that says what was expected. */
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors.js';
import { compareProfile } from '../../src/profiles/compare.js';
import type { Profile } from '../../src/profiles/types.js';
import { isManifest, parseManifest, withPrompt } from '../../src/pipeline/compareManifest.js';

const parse = (value: unknown, max = 10): ReturnType<typeof parseManifest> =>
  parseManifest(typeof value === 'string' ? value : JSON.stringify(value), max, 'uploads');

function refusal(value: unknown, max = 10): PermanentError {
  try {
    parse(value, max);
  } catch (error) {
    if (error instanceof PermanentError) return error;
    throw error;
  }
  throw new Error('expected the manifest to be refused');
}

const valid = { images: ['dashboards/jan.png', 'dashboards/feb.png'], prompt: 'What changed?' };

describe('parseManifest', () => {
  it('accepts blob names, a prompt and an optional profile', () => {
    expect(parse(valid)).toEqual(valid);
    expect(parse({ ...valid, profile: 'chart' }).profile).toBe('chart');
  });

  it('refuses text that is not JSON, saying what a manifest looks like', () => {
    const error = refusal('images: a.png');
    expect(error.code).toBe('manifest_invalid');
    expect(error.message).toMatch(/^the manifest is not JSON \(.+\); expected \{"images": \[blob names in container "uploads"\], "prompt"/);
  });

  it('refuses more images than allowed before looking at them', () => {
    const error = refusal({ images: ['a.png', 'b.png', 'c.png', 'https://x/d.png'], prompt: 'x' }, 3);
    expect(error.code).toBe('manifest_too_many_images');
    expect(error.message).toBe('the manifest names 4 images; one comparison takes at most 3 (MAX_COMPARE_IMAGES)');
    expect(error.details).toEqual({ count: 4, limit: 3 });
  });

  it.each([
    ['a URL', 'https://evil.example/a.png', 'images[1]: must be a blob name, not a URL'],
    ['a path that climbs out', 'dashboards/../../secrets.png', 'images[1]: must not contain empty, "." or ".." path segments'],
    ['a leading slash', '/dashboards/feb.png', 'images[1]: must not start or end with "/"'],
  ])('refuses %s instead of a blob name', (_, name, problem) => {
    const error = refusal({ ...valid, images: ['dashboards/jan.png', name] });
    expect(error.code).toBe('manifest_invalid');
    expect(error.message).toContain(problem);
  });

  it('refuses a missing prompt, no images, an unknown field and a repeated image', () => {
    expect(refusal({ images: ['a.png'] }).message).toContain('prompt: expected string, received undefined');
    expect(refusal({ images: [], prompt: 'x' }).message).toContain('images: must name at least one image');
    expect(refusal({ ...valid, detail: 'high' }).message).toContain('Unrecognized key: "detail"');
    expect(refusal({ images: ['a.png', 'b.png', 'a.png'], prompt: 'x' }).message).toBe(
      'the manifest is invalid: images[2] repeats "a.png"',
    );
    expect(refusal({ ...valid, profile: 'Compare' }).message).toContain('profile: must be a profile name');
  });
});

describe('manifests', () => {
  it('are recognised by their suffix', () => {
    expect(isManifest('compare/q1.compare.json')).toBe(true);
    expect(isManifest('compare/q1.json')).toBe(false);
  });

  it('put their question after the profile’s own instructions', () => {
    expect(withPrompt(compareProfile as Profile, 'Focus on latency.').user).toBe(`${compareProfile.user}\n\nFocus on latency.`);
  });
});
