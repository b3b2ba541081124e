/** `npm run results [-- <blob name>]`: lists final records, or prints one in full. */
import { parseArgs } from 'node:util';
import { ResultStore } from '../storage/resultStore.js';
import { resultPath } from '../contracts/blobPaths.js';
import { cliContext, explainConnectionError } from './cliContext.js';
import { RESULT_COLUMNS, resultRow } from './resultRow.js';

const USAGE = `Usage: npm run results -- [--prefix PATH/] [--failed] [<blob name>]

Without a blob name, lists the final records (status, profile, tokens, timing).
With one, prints its record in full (the name of the upload, e.g. invoices/a.png).`;

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((r) => (r[column] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      prefix: { type: 'string', default: '' },
      failed: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const { config, storage } = cliContext();
  const container = storage.blobs.getContainerClient(config.names.resultsContainer);
  const store = new ResultStore(container);
  try {
    const [name] = positionals;
    if (name !== undefined) {
      const record = (await store.read(resultPath(name))) ?? (await store.read(name));
      if (record === undefined) {
        console.error(`No result for "${name}" in "${config.names.resultsContainer}".`);
        process.exit(1);
      }
      console.log(JSON.stringify(record, null, 2));
      return;
    }
    const rows: string[][] = [[...RESULT_COLUMNS]];
    let total = 0;
    let failed = 0;
    for await (const blob of container.listBlobsFlat({ prefix: values.prefix })) {
      const record = await store.read(blob.name);
      if (record === undefined) continue;
      total += 1;
      if (record.status === 'failed') failed += 1;
      if (values.failed && record.status !== 'failed') continue;
      rows.push(resultRow(record));
    }
    console.log(rows.length > 1 ? table(rows) : `No results in "${config.names.resultsContainer}" yet.`);
    console.log(`\n${total} record(s), ${total - failed} succeeded, ${failed} failed. Full record: npm run results -- <blob name>`);
  } catch (error) {
    explainConnectionError(error);
  }
}

await main();
