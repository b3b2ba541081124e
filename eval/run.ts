/**
 * Accuracy, time and cost of the worker on labelled files (docs/evaluation.md). Each configuration runs
 * the set through the worker itself (embedded Azurite, the local host, the function app) and is scored
 * per field against `X.expected.json`.
 *
 *   npm run eval                                          # the generated set (written first when missing)
 *   npm run eval -- --set ~/labelled                      # your own files, the configured provider
 *   npm run eval -- --set ~/labelled --compare "VISION_PROVIDER=offline" --compare "AZURE_OPENAI_DEPLOYMENT=gpt-5-mini"
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, type Env } from '../src/config.js';
import { loadLocalSettings } from '../src/local/localSettings.js';
import { DEFAULT_STEPS, type PreparationSteps } from '../src/ocr/prepareForOcr.js';
import { evaluate } from './evaluate.js';
import { DEFAULT_COUNT, DEFAULT_SEED, writeSet } from './generate.js';
import { formatReports } from './report.js';
import type { Configuration } from './runConfiguration.js';
import { OUT_DIR, SET_DIR } from './sample.js';

const USAGE = `npm run eval -- [--set DIR] [--profile NAME] [--compare "KEY=VALUE,..."]... [--concurrency N] [--json FILE] [--only TEXT] [--limit N] [--steps step=value,...]`;

function parseSteps(raw: string | undefined): Partial<PreparationSteps> | undefined {
  if (raw === undefined || raw === '') return undefined;
  const steps: Record<string, boolean | number> = {};
  for (const pair of raw.split(',')) {
    const [key = '', value = ''] = pair.split('=').map((part) => part.trim());
    if (!(key in DEFAULT_STEPS))
      throw new Error(`--steps: unknown step "${key}"; expected one of ${Object.keys(DEFAULT_STEPS).join(', ')}`);
    steps[key] = value === 'true' ? true : value === 'false' ? false : Number(value);
  }
  return steps as Partial<PreparationSteps>;
}

/** `KEY=VALUE,KEY=VALUE` over the environment; empty means the settings as they are. */
export function parseConfiguration(text: string): Configuration {
  const settings: Env = {};
  for (const pair of text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--compare: expected KEY=VALUE pairs separated by commas, got "${pair}"`);
    settings[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return { label: Object.keys(settings).length === 0 ? 'current settings' : text.trim(), settings };
}

function wholeNumber(name: string, raw: string, min: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name}: expected a whole number >= ${min}, got "${raw}"`);
  return value;
}

const seconds = (ms: number): string =>
  ms >= 60_000 ? `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s` : `${Math.round(ms / 1000)} s`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      set: { type: 'string' },
      profile: { type: 'string' },
      compare: { type: 'string', multiple: true },
      concurrency: { type: 'string', default: '1' },
      json: { type: 'string' },
      only: { type: 'string' },
      limit: { type: 'string' },
      steps: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  loadLocalSettings(process.env);
  const concurrency = wholeNumber('concurrency', values.concurrency, 1);
  const steps = parseSteps(values.steps);
  let dir: string;
  if (values.set === undefined) {
    dir = fileURLToPath(SET_DIR);
    // From a clean clone: the default set (npm run eval:generate writes others).
    if (!existsSync(dir)) await writeSet(DEFAULT_COUNT, DEFAULT_SEED);
  } else {
    dir = resolve(values.set);
    if (!existsSync(dir)) throw new Error(`--set: no folder ${dir}`);
  }
  const configurations = (values.compare ?? ['']).map(parseConfiguration);
  await mkdir(OUT_DIR, { recursive: true });
  let lastShown = 0;
  const evaluation = await evaluate({
    dir,
    configurations,
    profile: values.profile,
    only: values.only,
    limit: values.limit === undefined ? undefined : wholeNumber('limit', values.limit, 1),
    concurrency,
    steps,
    warmUp: true,
    logDir: fileURLToPath(OUT_DIR),
    stallMs: 10 * 60_000,
    onLoaded: (unlabelled) => {
      if (unlabelled.length > 0)
        process.stderr.write(
          `[eval] ${unlabelled.length} file${unlabelled.length === 1 ? '' : 's'} without a .expected.json beside ${unlabelled.length === 1 ? 'it' : 'them'} left out (${unlabelled.slice(0, 3).join(', ')}${unlabelled.length > 3 ? ', ...' : ''})\n`,
        );
    },
    onStart: (configuration, count) => {
      lastShown = 0;
      process.stderr.write(`[eval] ${configuration.label}: ${count} files of ${dir}, ${concurrency} at a time\n`);
    },
    progress: (configuration, done, total, meanMs) => {
      if (done < total && Date.now() - lastShown < 5_000) return;
      lastShown = Date.now();
      const left = done < total ? `, about ${seconds(((total - done) * meanMs) / concurrency)} left` : '';
      process.stderr.write(`[eval] ${configuration.label}: ${done}/${total} records, ${Math.round(meanMs)} ms per file${left}\n`);
    },
  });
  console.log(`\n${formatReports(evaluation.configurations)}`);
  const out = values.json === undefined ? fileURLToPath(new URL('report.json', OUT_DIR)) : resolve(values.json);
  await writeFile(out, `${JSON.stringify(evaluation, null, 2)}\n`);
  console.log(`\nreport: ${out}`);
}

try {
  await main();
} catch (error) {
  console.error(
    error instanceof ConfigError ? `Configuration error: ${error.message}` : error instanceof Error ? error.message : String(error),
  );
  process.exit(1);
}
