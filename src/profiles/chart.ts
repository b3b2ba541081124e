import { z } from 'zod';
import type { Profile } from './types.js';
import { strictJsonSchema } from './strictJsonSchema.js';

export const CHART_TYPES = ['bar', 'column', 'line', 'area', 'pie', 'donut', 'scatter', 'histogram', 'heatmap', 'table', 'other'] as const;

const axis = z
  .strictObject({
    label: z.string().nullable(),
    unit: z.string().nullable().describe('e.g. USD, %, ms, requests/s'),
  })
  .nullable()
  .describe('Null for charts without this axis (pie, donut)');

export const chartSchema = z.strictObject({
  chart_type: z.enum(CHART_TYPES).nullable().describe('Null when the kind of chart cannot be told'),
  title: z.string().nullable(),
  x_axis: axis,
  y_axis: axis,
  series: z.array(
    z.strictObject({
      name: z.string().describe('The legend entry, or "value" for a single unnamed series'),
      points: z.array(
        z.strictObject({
          x: z.string().describe('The category or x value as labelled'),
          y: z.number().nullable().describe('Read off the chart; null when it cannot be read'),
        }),
      ),
    }),
  ),
  trends: z.array(z.string()).describe('What rises, falls or holds steady, with figures'),
  anomalies: z.array(z.string()).describe('Outliers, gaps, sudden jumps or values that contradict the rest'),
});

export type ChartData = z.infer<typeof chartSchema>;

export const chartProfile: Profile<ChartData> = {
  name: 'chart',
  description: 'Chart type, title, axes with units, every series with its values, trends and anomalies',
  system:
    'You extract the data behind charts. Identify the chart type, the axes and their units, and every ' +
    'series with its values read as precisely as the gridlines and labels allow; prefer printed data ' +
    'labels over estimates. Then describe the trends and anomalies, citing figures. Answer only with JSON ' +
    'that matches the given schema.',
  user: 'Extract the data from this chart.',
  schema: chartSchema,
  jsonSchema: strictJsonSchema(chartSchema),
  detail: 'high',
  maxOutputTokens: 3000,
  // Small tick labels and thin lines survive PNG; JPEG smears them.
  prepare: { format: 'png' },
};
