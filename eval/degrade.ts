/**
 * Degradations of a rendered page, each deterministic given the PRNG: what scans, photos and
 * re-encoded uploads do to documents.
 */
import sharp from 'sharp';
import type { Random } from './random.js';

export const DEGRADATIONS = ['noise', 'blur', 'rotate', 'jpeg', 'lowres'] as const;
export type Degradation = (typeof DEGRADATIONS)[number];

export interface DegradedImage {
  bytes: Buffer;
  mime: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
  /** What was applied, with its strength, for the ground truth. */
  applied: string[];
}

export async function degrade(png: Buffer, kinds: readonly Degradation[], random: Random): Promise<DegradedImage> {
  let image = png;
  const applied: string[] = [];
  let jpegQuality: number | undefined;
  for (const kind of kinds) {
    switch (kind) {
      case 'noise': {
        const sigma = random.int(14, 26);
        image = await addNoise(image, sigma, random);
        applied.push(`noise sigma ${sigma}`);
        break;
      }
      case 'blur': {
        const sigma = Math.round((0.8 + random.next() * 0.6) * 100) / 100;
        image = await sharp(image).blur(sigma).png().toBuffer();
        applied.push(`blur sigma ${sigma}`);
        break;
      }
      case 'rotate': {
        const degrees = (Math.round((1 + random.next() * 2) * 10) / 10) * (random.chance(0.5) ? 1 : -1);
        image = await sharp(image).rotate(degrees, { background: '#ffffff' }).png().toBuffer();
        applied.push(`rotate ${degrees} deg`);
        break;
      }
      case 'lowres': {
        const scale = Math.round((0.45 + random.next() * 0.15) * 100) / 100;
        const { width = 0 } = await sharp(image).metadata();
        image = await sharp(image)
          .resize(Math.round(width * scale))
          .png()
          .toBuffer();
        applied.push(`lowres x${scale}`);
        break;
      }
      case 'jpeg':
        jpegQuality = random.int(12, 25);
        applied.push(`jpeg q${jpegQuality}`);
        break;
    }
  }
  const output = jpegQuality === undefined ? sharp(image).png() : sharp(image).jpeg({ quality: jpegQuality, chromaSubsampling: '4:2:0' });
  const { data, info } = await output.toBuffer({ resolveWithObject: true });
  return { bytes: data, mime: jpegQuality === undefined ? 'image/png' : 'image/jpeg', width: info.width, height: info.height, applied };
}

/** Gaussian sensor-like noise from the seeded PRNG (sharp's own noise generator is not seedable). */
async function addNoise(png: Buffer, sigma: number, random: Random): Promise<Buffer> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  for (let i = 0; i < data.length; i += info.channels) {
    const delta = random.gaussian() * sigma;
    for (let c = 0; c < info.channels; c++) data[i + c] = Math.max(0, Math.min(255, (data[i + c] ?? 0) + delta));
  }
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .png()
    .toBuffer();
}
