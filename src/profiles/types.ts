import type { z } from 'zod';

/** The model's image detail level (OpenAI `image_url.detail`). */
export type Detail = 'low' | 'high' | 'auto';

/** How the image is re-encoded before it is sent: PNG keeps thin lines and small text sharp. */
export type EncodeFormat = 'auto' | 'jpeg' | 'png';

/** Profile names as they appear in blob metadata, job messages and the profile file. */
export const PROFILE_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** What to ask the model and what shape to expect back. */
export interface Profile<T = unknown> {
  name: string;
  /** One line for the profile table in docs/profiles.md and for `npm run results`. */
  description: string;
  system: string;
  user: string;
  /** Validates what comes back, whatever the provider. */
  schema: z.ZodType<T>;
  /** The strict JSON Schema sent as `response_format` (derived from `schema` for built-ins). */
  jsonSchema: Record<string, unknown>;
  detail: Detail;
  maxOutputTokens: number;
  /**
   * The model (OpenAI) or deployment (Azure OpenAI) this profile asks instead of the configured one.
   * Its name also picks the image-token formula and price, as VISION_MODEL does for the default.
   */
  model?: string;
  prepare: { format: EncodeFormat };
  /** Consistency checks on validated data; each problem becomes a warning on the result. */
  check?: (data: T) => string[];
}

/** Uploads whose name starts with `prefix` are analysed with `profile` (unless their metadata names one). */
export interface PathRule {
  prefix: string;
  profile: string;
}
