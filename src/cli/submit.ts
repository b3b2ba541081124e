/**
 * `npm run submit -- <files or folders…>`: uploads to the input container, keeping relative paths as blob
 * names (so path rules such as `invoices/` -> invoice apply), and shows progress. `--wait` also waits
 * for each file's final record.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { PROFILE_METADATA_KEY } from '../names.js';
import { ResultStore, resultPath } from '../storage/resultStore.js';
import { cliContext, explainConnectionError } from './cliContext.js';

const USAGE = `Usage: npm run submit -- [--profile NAME] [--prefix PATH/] [--wait] [--timeout SECONDS] <file or folder>...

Uploads files to the input container. Blob names keep the path relative to the current
folder (or to the argument's parent folder for paths outside it).
  --profile NAME   set the blob's "profile" metadata (overrides the path rules)
  --prefix PATH/   put the blobs under this prefix, e.g. invoices/
  --wait           wait until every file has its final record and print a summary
  --timeout S      how long --wait waits (default 120)`;

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
      timeout: { type: 'string', default: '120' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length === 0) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
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
  console.log(`Uploaded ${done} file(s), ${(bytes / 1024 / 1024).toFixed(2)} MiB, in ${((Date.now() - started) / 1000).toFixed(1)} s to "${config.names.inputContainer}".`);
  if (!values.wait) {
    console.log(`Results appear in "${config.names.resultsContainer}" as <blob name>.json: npm run results`);
    return;
  }
  await waitForResults(new ResultStore(storage.blobs.getContainerClient(config.names.resultsContainer)), etags, Number(values.timeout) * 1000);
}

async function waitForResults(results: ResultStore, etags: Map<string, string>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(etags.keys());
  const counts = { succeeded: 0, failed: 0 };
  while (pending.size > 0 && Date.now() < deadline) {
    for (const blob of [...pending]) {
      const record = await results.read(resultPath(blob));
      if (record === undefined || record.source.etag !== etags.get(blob)) continue;
      pending.delete(blob);
      counts[record.status] += 1;
      const detail = record.status === 'succeeded' ? `${record.profile}, ${record.timings.totalMs.toFixed(0)} ms` : `${record.error?.code}: ${record.error?.message}`;
      console.log(`  ${record.status === 'succeeded' ? 'ok  ' : 'FAIL'} ${blob} (${detail})`);
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 500));
  }
  console.log(`${counts.succeeded} succeeded, ${counts.failed} failed${pending.size > 0 ? `, ${pending.size} still pending after ${timeoutMs / 1000} s` : ''}.`);
  if (pending.size > 0 || counts.failed > 0) process.exitCode = 1;
}

await main();
