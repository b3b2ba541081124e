import { z } from 'zod';
import type { Profile } from './types.js';
import { strictJsonSchema } from './strictJsonSchema.js';

export const IMAGE_KINDS = ['photo', 'document', 'receipt', 'screenshot', 'chart', 'diagram', 'illustration', 'other'] as const;

export const describeSchema = z.strictObject({
  summary: z.string().describe('Two or three sentences on what the image shows'),
  image_type: z.enum(IMAGE_KINDS),
  text_found: z.string().nullable().describe('Legible text in reading order, or null when there is none'),
  objects: z.array(z.string()).describe('Main things visible, most prominent first'),
  dominant_colors: z.array(z.string()).describe('Up to five dominant colours as #rrggbb'),
  tags: z.array(z.string()).describe('Short lowercase keywords for search'),
});

export type DescribeData = z.infer<typeof describeSchema>;

export const describeProfile: Profile<DescribeData> = {
  name: 'describe',
  description: 'Summary, kind of image, text found, main objects, dominant colours, tags',
  system:
    'You describe images for a search index. Be factual and concise; do not guess at what is not visible. ' +
    'Answer only with JSON that matches the given schema.',
  user: 'Describe this image.',
  schema: describeSchema,
  jsonSchema: strictJsonSchema(describeSchema),
  detail: 'low',
  maxOutputTokens: 600,
  prepare: { format: 'auto' },
};
