/** `npm run replay-poison [-- --prefix P] [--code C] [--dry-run] [--json]`: poisoned jobs back to the job queue. */
import { parseArgs } from 'node:util';
import { hostSettings } from '../hostSettings.js';
import { replayPoisoned, type ReplayFilter, type ReplayReport } from '../ops/replayPoisoned.js';
import { cliContext, explainConnectionError } from './cliContext.js';

const USAGE = `Usage: npm run replay-poison -- [--prefix PATH/] [--code ERROR_CODE] [--dry-run] [--json]

Sends jobs whose retries ran out back to the job queue, after the cause (a model outage, a quota,
a configuration error) is fixed: the jobs recordPoison recorded, and any message still waiting in
the poison queue. --prefix keeps jobs whose blob name starts with PATH/, --code those whose failure
record has ERROR_CODE (e.g. model_unavailable, rate_limited). --dry-run counts without moving.
A replayed job that succeeds replaces its failure record.`;

function formatReport(report: ReplayReport, jobsQueue: string, filter: ReplayFilter): string {
  const verb = report.dryRun ? 'would move' : 'moved';
  const scope = [filter.prefix === undefined ? '' : `prefix "${filter.prefix}"`, filter.code === undefined ? '' : `code ${filter.code}`]
    .filter((part) => part !== '')
    .join(', ');
  const codes = Object.entries(report.recorded.byCode).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  return [
    `Poisoned jobs${scope === '' ? '' : ` (${scope})`} -> ${jobsQueue}${report.dryRun ? ' [dry run]' : ''}`,
    `  recorded by recordPoison: ${report.recorded.matched} matched, ${verb} ${report.dryRun ? report.recorded.matched : report.recorded.moved}`,
    ...codes.map(([code, n]) => `    ${code.padEnd(26)} ${String(n).padStart(5)}`),
    `  still in the poison queue: ${report.unrecorded.matched} matched, ${verb} ${report.dryRun ? report.unrecorded.matched : report.unrecorded.moved}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      prefix: { type: 'string' },
      code: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const filter: ReplayFilter = {
    ...(values.prefix === undefined ? {} : { prefix: values.prefix }),
    ...(values.code === undefined ? {} : { code: values.code }),
  };
  const { config, storage } = cliContext();
  try {
    const report = await replayPoisoned(
      { storage, names: config.names, encoding: hostSettings().queues.messageEncoding },
      filter,
      values['dry-run'],
    );
    console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report, config.names.jobsQueue, filter));
  } catch (error) {
    explainConnectionError(error);
  }
}

await main();
