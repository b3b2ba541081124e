/**
 * What the offline provider can say about several images without a model: the facts of each one and
 * the facts that differ between them (size, kind of image). It cannot say what the images mean, and
 * its answer says so.
 */
import type { CompareData } from '../../profiles/compare.js';
import type { ImageFacts } from './imageFacts.js';

export interface NamedFacts {
  name: string;
  facts: ImageFacts;
}

function notes({ facts }: NamedFacts): string {
  const colours = facts.dominantColors.length === 0 ? '' : ` Dominant colours: ${facts.dominantColors.join(', ')}.`;
  return `A ${facts.shape} ${facts.format.toUpperCase()} image of ${facts.width}x${facts.height} pixels; it looks like a ${facts.kind}: ${facts.kindReason}.${colours}`;
}

/** One change entry per fact that is not the same in every image. */
function differingFacts(images: readonly NamedFacts[]): CompareData['changes'] {
  const facts: [string, (f: ImageFacts) => string][] = [
    ['size', (f) => `${f.width}x${f.height}`],
    ['kind of image', (f) => f.kind],
  ];
  return facts
    .map(([aspect, value]) => ({ aspect, values: images.map(({ facts: f }) => value(f)) }))
    .filter(({ values }) => new Set(values).size > 1)
    .map(({ aspect, values }) => ({ aspect, change: values.join(' -> ') }));
}

export function compareFromFacts(images: readonly NamedFacts[]): CompareData {
  return {
    summary:
      `${images.length} images described offline from pixel statistics. No model was asked, so what changed in ` +
      'their content and what is concerning cannot be said; only the facts of each image are given.',
    changes: differingFacts(images),
    concerns: [],
    per_image: images.map((image) => ({ image: image.name, notes: notes(image) })),
  };
}
