import { z } from 'zod';
import type { Profile } from './types.js';
import { strictJsonSchema } from './strictJsonSchema.js';

const SEVERITIES = ['low', 'medium', 'high'] as const;

export const architectureSchema = z.strictObject({
  summary: z
    .string()
    .nullable()
    .describe('Two or three sentences on what the system does and how it is built; null when it cannot be told'),
  components: z.array(
    z.strictObject({
      name: z.string().describe('As labelled in the diagram'),
      kind: z.string().describe('e.g. web app, API, database, queue, cache, load balancer, external service'),
      description: z.string().nullable(),
    }),
  ),
  data_flows: z.array(
    z.strictObject({
      from: z.string().describe('A component name'),
      to: z.string().describe('A component name'),
      description: z.string().nullable().describe('What moves along the arrow'),
      protocol: z.string().nullable().describe('e.g. HTTPS, AMQP, SQL, when labelled'),
    }),
  ),
  single_points_of_failure: z.array(
    z.strictObject({
      component: z.string(),
      reason: z.string(),
    }),
  ),
  scalability: z.array(
    z.strictObject({
      concern: z.string(),
      recommendation: z.string(),
    }),
  ),
  security_concerns: z.array(
    z.strictObject({
      concern: z.string(),
      severity: z.enum(SEVERITIES),
      recommendation: z.string(),
    }),
  ),
});

export type ArchitectureData = z.infer<typeof architectureSchema>;

export const architectureProfile: Profile<ArchitectureData> = {
  name: 'architecture',
  description: 'Components, data flows, single points of failure, scalability and security concerns of a system diagram',
  system:
    'You are a cloud architect reviewing a system architecture diagram. List the components and the data ' +
    'flows exactly as drawn and labelled. Then assess the design: single points of failure, what limits ' +
    'scaling, and security concerns, each with a concrete recommendation. Base every finding on what the ' +
    'diagram shows; do not invent components. Answer only with JSON that matches the given schema.',
  user: 'Analyse this architecture diagram.',
  schema: architectureSchema,
  jsonSchema: strictJsonSchema(architectureSchema),
  detail: 'high',
  maxOutputTokens: 3000,
  // Thin connector lines and small labels survive PNG; JPEG smears them.
  prepare: { format: 'png' },
};
