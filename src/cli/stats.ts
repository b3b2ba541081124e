/** `npm run stats [-- --json]`: the ops figures (the same as GET /api/metrics) in the terminal. */
import { parseArgs } from 'node:util';
import { LIMITER_FRESH_SECONDS, collectMetrics, type MetricsSnapshot } from '../ops/snapshot.js';
import { CALIBRATION_WARN_DIFFERENCE } from '../providers/promptCalibration.js';
import type { BudgetState, LimiterState } from '../providers/rateLimiter.js';
import { cliContext, explainConnectionError } from './cliContext.js';

const USAGE = `Usage: npm run stats -- [--json]

Queue depths (jobs, poison) with the age of the oldest message, and the results written in the last
hour: succeeded, failed by error code, tokens used and estimated cost, and the model-call rate limiter of
each instance. --json prints GET /api/metrics's shape.`;

/** Billed against estimated, flagged past the calibration threshold. */
function drift(billed: number, estimated: number): string {
  if (estimated === 0 || billed === 0) return '';
  const difference = billed / estimated - 1;
  const percent = `${difference > 0 ? '+' : ''}${(difference * 100).toFixed(1)} %`;
  return Math.abs(difference) > CALIBRATION_WARN_DIFFERENCE ? ` (${percent}, beyond ±${CALIBRATION_WARN_DIFFERENCE * 100} %: check VISION_MODEL)` : ` (${percent})`;
}

const age = (seconds: number | null): string => (seconds === null ? '-' : `${seconds} s`);

const budget = (b: BudgetState, window: number): string =>
  b.capacity === null
    ? `${b.used} (${b.source})`
    : `${b.used}+${b.external} of ${b.capacity} per ${window} s (${b.perMinute}/min ${b.source}${b.lastRemaining === null ? '' : `, service says ${b.lastRemaining} left`})`;

function formatLimiter(state: LimiterState): string[] {
  return [
    `  ${state.instance} at ${state.at}`,
    `    tokens    ${budget(state.tokens, state.windowSeconds)}`,
    `    requests  ${budget(state.requests, state.windowSeconds)}`,
    `    factor ${state.factor}, in flight ${state.inFlight}, waiting ${state.waiting}, admitted ${state.admitted}, 429s ${state.rateLimited}, wait timeouts ${state.waitTimeouts}, longest wait ${state.maxWaitedMs} ms`,
  ];
}

function formatStats(m: MetricsSnapshot): string {
  const { jobs, poison } = m.queues;
  const r = m.results;
  const width = Math.max(jobs.queue.length, poison.queue.length);
  const codes = Object.entries(r.failedByCode).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  return [
    `blob-vision-worker at ${m.at}`,
    '',
    'Queues                   depth  oldest',
    ...[jobs, poison].map((q) => `  ${q.queue.padEnd(Math.max(width, 22))} ${String(q.depth).padStart(5)}  ${age(q.oldestAgeSeconds)}`),
    '',
    `Results in the last hour (since ${r.since})${r.scan.complete ? '' : `  [partial: scan bound hit after ${r.scan.listed} listed]`}`,
    `  succeeded ${r.succeeded}`,
    `  failed    ${r.failed}`,
    ...codes.map(([code, count]) => `    ${code.padEnd(26)} ${String(count).padStart(5)}`),
    `  tokens used ${r.tokens.used} (prompt ${r.tokens.prompt}, completion ${r.tokens.completion} of which reasoning ${r.tokens.reasoning})`,
    `  prompt tokens billed ${r.tokens.prompt} vs estimated ${r.tokens.promptEstimated}${drift(r.tokens.prompt, r.tokens.promptEstimated)}; image tokens estimated ${r.tokens.imageEstimated}`,
    `  estimated cost $${r.estimatedCostUsd.toFixed(6)}`,
    `  throughput ${r.throughput.perMinute} results/min over the last ${r.throughput.windowSeconds} s`,
    '',
    m.limiter === null
      ? `Rate limiter: no instance reported in the last ${LIMITER_FRESH_SECONDS} s (offline provider, or no model calls)`
      : `Rate limiter (own+others' charges in the window)`,
    ...(m.limiter?.instances.flatMap(formatLimiter) ?? []),
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const { config, storage } = cliContext();
  try {
    const snapshot = await collectMetrics({ storage, names: config.names });
    console.log(values.json ? JSON.stringify(snapshot, null, 2) : formatStats(snapshot));
  } catch (error) {
    explainConnectionError(error);
  }
}

await main();
