import { z } from 'zod';
import type { Profile } from './types.js';
import { strictJsonSchema } from './strictJsonSchema.js';

export const formSchema = z.strictObject({
  title: z.string().nullable().describe('The form title as printed, or null'),
  fields: z
    .array(
      z.strictObject({
        key: z.string().describe('The label printed next to the field, as printed'),
        value: z.string().nullable().describe('What was filled in, as written; null when the field is blank'),
      }),
    )
    .describe('Every labelled field in reading order'),
  checkboxes: z
    .array(
      z.strictObject({
        label: z.string(),
        checked: z.boolean(),
      }),
    )
    .describe('Every checkbox or radio button, ticked or not'),
});

export type FormData = z.infer<typeof formSchema>;

export const formProfile: Profile<FormData> = {
  name: 'form',
  description: 'Title, every labelled field as key and value, and every checkbox with its state',
  system:
    'You read filled-in forms. Report every labelled field with the value written in it, copied exactly ' +
    '(handwriting included), and every checkbox or radio button with whether it is ticked. Use null for a ' +
    'blank field; never guess at illegible text. Answer only with JSON that matches the given schema.',
  user: 'Extract the fields and checkboxes of this form.',
  schema: formSchema,
  jsonSchema: strictJsonSchema(formSchema),
  detail: 'high',
  maxOutputTokens: 2000,
  prepare: { format: 'png' },
};
