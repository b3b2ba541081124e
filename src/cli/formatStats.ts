/** `npm run stats` as text: the ops figures, and a warning when jobs wait and nothing takes them. */
import { LIMITER_FRESH_SECONDS, type MetricsSnapshot } from '../ops/snapshot.js';
import { CALIBRATION_WARN_DIFFERENCE } from '../providers/promptCalibration.js';
import type { BudgetState, LimiterState } from '../providers/rateLimit/state.js';
/** A visible job this old with no result written meanwhile: nothing is taking jobs from the queue. */
export const IDLE_AFTER_SECONDS = 60;

/** Jobs wait, the oldest unleased for a while, and no record was written in the throughput window. */
export function idleWarning(m: MetricsSnapshot): string | undefined {
  const { jobs } = m.queues;
  const { throughput } = m.results;
  if (jobs.depth === 0 || jobs.oldestAgeSeconds === null || jobs.oldestAgeSeconds < IDLE_AFTER_SECONDS || throughput.perMinute > 0)
    return undefined;
  return `no worker has taken a job for a while: ${jobs.depth} waiting, the oldest for ${jobs.oldestAgeSeconds} s without being taken, and no record in the last ${throughput.windowSeconds} s. Is a worker running (npm start, or the function app)?`;
}

/** Billed against estimated, flagged past the calibration threshold. */
function drift(billed: number, estimated: number): string {
  if (estimated === 0 || billed === 0) return '';
  const difference = billed / estimated - 1;
  const percent = `${difference > 0 ? '+' : ''}${(difference * 100).toFixed(1)} %`;
  return Math.abs(difference) > CALIBRATION_WARN_DIFFERENCE
    ? ` (${percent}, beyond ±${CALIBRATION_WARN_DIFFERENCE * 100} %: check VISION_MODEL)`
    : ` (${percent})`;
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

export function formatStats(m: MetricsSnapshot): string {
  const { jobs, poison } = m.queues;
  const { poisonOfPoison, deadLetters } = m.stranded;
  const r = m.results;
  const width = Math.max(jobs.queue.length, poison.queue.length, poisonOfPoison.queue.length);
  const idle = idleWarning(m);
  const codes = Object.entries(r.failedByCode).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  return [
    `blob-vision-worker at ${m.at}`,
    '',
    'Queues                   depth  oldest',
    ...[jobs, poison, poisonOfPoison].map(
      (q) => `  ${q.queue.padEnd(Math.max(width, 22))} ${String(q.depth).padStart(5)}  ${age(q.oldestAgeSeconds)}`,
    ),
    `  ${'dead-lettered uploads'.padEnd(Math.max(width, 22))} ${String(deadLetters).padStart(5)}`,
    ...(poisonOfPoison.depth + deadLetters > 0 ? ['  (the recordStranded timer records or enqueues these; see docs/failures.md)'] : []),
    ...(idle === undefined ? [] : ['', `Warning: ${idle}`]),
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
