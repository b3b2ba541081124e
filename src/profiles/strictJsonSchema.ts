import { z } from 'zod';

/**
 * The JSON Schema sent as a strict `response_format`. Profiles use strict objects and `.nullable()`
 * (never `.optional()`), which is what OpenAI's strict mode requires: every key required, no extras.
 */
export function strictJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'throw' }) as Record<string, unknown>;
  return rest;
}
