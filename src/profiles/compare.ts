import { z } from 'zod';
import type { Profile } from './types.js';
import { strictJsonSchema } from './strictJsonSchema.js';

export const compareSchema = z.strictObject({
  summary: z.string().describe('Two or three sentences: what the images show together and the main difference'),
  changes: z
    .array(
      z.strictObject({
        aspect: z.string().describe('What changed, e.g. "error rate" or "header layout"'),
        change: z.string().describe('How it changed across the images, with figures where visible'),
      }),
    )
    .describe('In order of importance'),
  concerns: z.array(
    z.strictObject({
      concern: z.string(),
      severity: z.enum(['low', 'medium', 'high']),
    }),
  ),
  per_image: z
    .array(
      z.strictObject({
        image: z.string().describe('The name the image was given'),
        notes: z.string(),
      }),
    )
    .describe('One entry per image, in the order given'),
});

export type CompareData = z.infer<typeof compareSchema>;

export const compareProfile: Profile<CompareData> = {
  name: 'compare',
  description: 'What changed across several images, what is concerning, and notes per image',
  system:
    'You compare a series of images, such as dashboard screenshots taken a month apart or versions of a ' +
    'design. The images come in order, each introduced by its name. Say what changed between them and ' +
    'what is concerning, citing the values you can read, and give short notes per image. Only report ' +
    'what the images show. Answer only with JSON that matches the given schema.',
  user: 'Compare these images in the order given.',
  schema: compareSchema,
  jsonSchema: strictJsonSchema(compareSchema),
  // Several images in one request: low detail keeps each at 85 tokens, as the source article suggests.
  detail: 'low',
  maxOutputTokens: 2000,
  prepare: { format: 'auto' },
};
