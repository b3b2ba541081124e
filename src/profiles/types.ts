import type { z } from 'zod';

/** The model's image detail level (OpenAI `image_url.detail`). */
export type Detail = 'low' | 'high' | 'auto';

/** How the image is re-encoded before it is sent: PNG keeps thin lines and small text sharp. */
export type EncodeFormat = 'auto' | 'jpeg' | 'png';

/** What to ask the model and what shape to expect back. */
export interface Profile<T = unknown> {
  name: string;
  /** One line for the README's profile table and for `npm run results`. */
  description: string;
  system: string;
  user: string;
  /** Validates what comes back, whatever the provider. */
  schema: z.ZodType<T>;
  /** The strict JSON Schema sent as `response_format` (derived from `schema`). */
  jsonSchema: Record<string, unknown>;
  detail: Detail;
  maxOutputTokens: number;
  prepare: { format: EncodeFormat };
  /** Consistency checks on validated data; each problem becomes a warning on the result. */
  check?: (data: T) => string[];
}
