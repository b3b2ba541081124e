/**
 * `npm run submit -- <files or folders…>`: uploads to the input container, keeping relative paths as blob
 * names (so path rules such as `invoices/` -> invoice apply), and shows progress. `--wait` also waits
 * for each file's final record (waitForResults.ts).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { PROFILE_METADATA_KEY } from '../names.js';
import { ResultStore } from '../storage/resultStore.js';
import { cliContext, explainConnectionError } from './cliContext.js';
import { waitForResults } from './waitForResults.js';

const USAGE = `Usage: npm run submit -- [--profile NAME] [--prefix PATH/] [--wait] [--timeout SECONDS] <file or folder>...

Uploads files to the input container. Blob names keep the path relative to the current
folder (or to the argument's parent folder for paths outside it).
  --profile NAME   set the blob's "profile" metadata (overrides the path rules)
  --prefix PATH/   put the blobs under this prefix, e.g. invoices/
  --wait           wait until every file has its final record and print a summary; it waits as long as
                   the worker makes progress and stops when no worker takes the jobs
  --timeout S      stop --wait after S seconds in any case`;

interface Upload {
  path: string;
  blob: string;
}

function walk(path: string): string[] {
  const stats = statSync(path);
  if (stats.isFile()) return [path];
  if (!stats.isDirectory()) return [];
  return readdirSync(path)
    .filter((name) => !name.startsWith('.'))
    .sort()
    .flatMap((name) => walk(join(path, name)));
}

export function blobNameFor(file: string, argument: string, cwd: string, prefix: string): string {
  const absolute = resolve(cwd, file);
  const fromCwd = relative(cwd, absolute);
  const inside = fromCwd !== '' && !fromCwd.startsWith('..') && !isAbsolute(fromCwd);
  const name = inside ? fromCwd : relative(dirname(resolve(cwd, argument)), absolute) || basename(absolute);
  return `${prefix}${name.split(sep).join('/')}`;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      profile: { type: 'string' },
      prefix: { type: 'string', default: '' },
      wait: { type: 'boolean', default: false },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length === 0) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const timeoutS = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutS !== undefined && !(timeoutS > 0)) {
    console.error(`--timeout expects a number of seconds, received "${values.timeout}"`);
    process.exit(2);
  }
  // npm runs scripts in the package folder; INIT_CWD is where the user typed the command.
  const cwd = process.env['INIT_CWD'] ?? process.cwd();
  const prefix = values.prefix === '' || values.prefix.endsWith('/') ? values.prefix : `${values.prefix}/`;
  const uploads: Upload[] = [];
  for (const argument of positionals) {
    let files: string[];
    try {
      files = walk(resolve(cwd, argument));
    } catch {
      console.error(`Not found: ${argument}`);
      process.exit(2);
    }
    uploads.push(...files.map((path) => ({ path, blob: blobNameFor(path, argument, cwd, prefix) })));
  }
  if (uploads.length === 0) {
    console.error('No files to upload.');
    process.exit(2);
  }

  console.log(`Found ${uploads.length} file(s).`);
  const { config, storage } = cliContext();
  const container = storage.blobs.getContainerClient(config.names.inputContainer);
  const metadata = values.profile === undefined ? undefined : { [PROFILE_METADATA_KEY]: values.profile };
  const started = Date.now();
  let done = 0;
  let bytes = 0;
  const etags = new Map<string, string>();
  const queue = [...uploads];
  const lane = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const body = readFileSync(next.path);
      const response = await container.getBlockBlobClient(next.blob).uploadData(body, metadata === undefined ? {} : { metadata });
      etags.set(next.blob, response.etag ?? '');
      done += 1;
      bytes += body.length;
      console.log(`[${done}/${uploads.length}] ${next.blob} (${(body.length / 1024).toFixed(1)} KiB)`);
    }
  };
  try {
    await container.createIfNotExists();
    await Promise.all(Array.from({ length: Math.min(4, uploads.length) }, lane));
  } catch (error) {
    explainConnectionError(error);
  }
  console.log(
    `Uploaded ${done} file(s), ${(bytes / 1024 / 1024).toFixed(2)} MiB, in ${((Date.now() - started) / 1000).toFixed(1)} s to "${config.names.inputContainer}".`,
  );
  if (!values.wait) {
    console.log(`Results appear in "${config.names.resultsContainer}" as <blob name>.json: npm run results`);
    return;
  }
  try {
    const { ended, failed } = await waitForResults({
      results: new ResultStore(storage.blobs.getContainerClient(config.names.resultsContainer)),
      queue: storage.queues.getQueueClient(config.names.jobsQueue),
      etags,
      print: (line) => console.log(line),
      ...(timeoutS === undefined ? {} : { timeoutMs: timeoutS * 1000 }),
    });
    if (ended !== 'done' || failed > 0) process.exitCode = 1;
  } catch (error) {
    explainConnectionError(error);
  }
}

await main();
