/**
 * The figures as custom metrics in log form: one structured line per metric value,
 * `{"event":"metric","name":...,"value":...,"dimensions":{...},"snapshot":...}`. Under the Functions host
 * the lines reach Application Insights as traces, where infra/app/alerts.bicep queries them; the names
 * are that file's contract (test/infra pins them). Counts over the results window are gauges: each line
 * restates the trailing hour, so a reader takes the latest snapshot, never a sum over time.
 */
import type { Logger } from '../log.js';
import type { MetricsSnapshot } from './snapshot.js';

export const METRIC_EVENT = 'metric';

export const METRIC_NAMES = {
  jobsDepth: 'queue_depth_jobs',
  poisonDepth: 'queue_depth_poison',
  strandedMessages: 'queue_depth_poison_poison',
  deadLetters: 'dead_lettered_uploads',
  oldestAgeSeconds: 'queue_oldest_age_seconds',
  resultsSucceeded: 'results_succeeded',
  resultsFailed: 'results_failed',
  tokensUsed: 'tokens_used',
  costUsd: 'estimated_cost_usd',
} as const;

export interface MetricLine {
  name: (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];
  value: number;
  dimensions?: Record<string, string>;
}

export function metricLines(snapshot: MetricsSnapshot): MetricLine[] {
  const { queues, results } = snapshot;
  const lines: MetricLine[] = [
    { name: METRIC_NAMES.jobsDepth, value: queues.jobs.depth },
    { name: METRIC_NAMES.poisonDepth, value: queues.poison.depth },
    { name: METRIC_NAMES.strandedMessages, value: snapshot.stranded.poisonOfPoison.depth },
    { name: METRIC_NAMES.deadLetters, value: snapshot.stranded.deadLetters },
  ];
  if (queues.jobs.oldestAgeSeconds !== null) lines.push({ name: METRIC_NAMES.oldestAgeSeconds, value: queues.jobs.oldestAgeSeconds });
  lines.push({ name: METRIC_NAMES.resultsSucceeded, value: results.succeeded });
  // One line per code; with no failures one zero line, so the failure rate reads 0 rather than no data.
  const failures = Object.entries(results.failedByCode);
  if (failures.length === 0) lines.push({ name: METRIC_NAMES.resultsFailed, value: 0, dimensions: { error_code: '' } });
  for (const [code, count] of failures) lines.push({ name: METRIC_NAMES.resultsFailed, value: count, dimensions: { error_code: code } });
  lines.push(
    { name: METRIC_NAMES.tokensUsed, value: results.tokens.used },
    { name: METRIC_NAMES.costUsd, value: results.estimatedCostUsd },
  );
  return lines;
}

export function emitMetricLines(logger: Logger, snapshot: MetricsSnapshot): MetricLine[] {
  const lines = metricLines(snapshot);
  for (const line of lines) {
    logger.info(METRIC_EVENT, {
      name: line.name,
      value: line.value,
      dimensions: line.dimensions ?? {},
      snapshot: snapshot.at,
      windowSeconds: snapshot.results.windowSeconds,
      complete: snapshot.results.scan.complete,
    });
  }
  return lines;
}
