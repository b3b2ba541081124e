/** `npm run stats [-- --json]`: the ops figures (the same as GET /api/metrics) in the terminal. */
import { parseArgs } from 'node:util';
import { collectMetrics, type MetricsSnapshot } from '../ops/snapshot.js';
import { cliContext, explainConnectionError } from './cliContext.js';

const USAGE = `Usage: npm run stats -- [--json]

Queue depths (jobs, poison) with the age of the oldest message, and the results written in the last
hour: succeeded, failed by error code, tokens used and estimated cost. --json prints GET /api/metrics's shape.`;

const age = (seconds: number | null): string => (seconds === null ? '-' : `${seconds} s`);

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
    `  tokens used ${r.tokens.used} (prompt ${r.tokens.prompt}, completion ${r.tokens.completion}; image tokens estimated ${r.tokens.imageEstimated})`,
    `  estimated cost $${r.estimatedCostUsd.toFixed(6)}`,
    '',
    `Rate limiter: ${m.limiter === null ? 'none configured' : JSON.stringify(m.limiter)}`,
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
