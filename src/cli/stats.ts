/** `npm run stats [-- --json]`: the ops figures (the same as GET /api/metrics) in the terminal. */
import { parseArgs } from 'node:util';
import { collectMetrics } from '../ops/snapshot.js';
import { cliContext, explainConnectionError } from './cliContext.js';
import { formatStats } from './formatStats.js';

const USAGE = `Usage: npm run stats -- [--json]

Queue depths (jobs, poison, poison-of-poison) with the age of the oldest message, dead-lettered uploads,
and the results written in the last hour: succeeded, failed by error code, tokens used and estimated
cost, and the model-call rate limiter of each instance. Says when jobs wait and no worker takes them.
--json prints GET /api/metrics's shape.`;

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
