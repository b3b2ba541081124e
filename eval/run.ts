/**
 * Accuracy, time and cost of the worker on labelled files (docs/evaluation.md). Each configuration runs
 * the set through the worker itself (embedded Azurite, the local host, the function app) and is scored
 * per field against `X.expected.json`.
 *
 *   npm run eval                                          # the generated set (written first when missing)
 *   npm run eval -- --set ~/labelled                      # your own files, the configured provider
 *   npm run eval -- --set ~/labelled --compare "" --compare "MODEL_DETAIL=high"
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Env } from '../src/config.js';
import { loadLocalSettings } from '../src/local/localSettings.js';
import { DEFAULT_STEPS, type PreparationSteps } from '../src/ocr/prepareForOcr.js';
import { createOfflineProvider } from '../src/providers/offlineProvider.js';
import { DEFAULT_COUNT, DEFAULT_SEED, writeSet } from './generate.js';
import { loadLabelledSet } from './labelledSet.js';
import { formatReports, scoreConfiguration, type ConfigurationReport } from './report.js';
import { runConfiguration, type Configuration } from './runConfiguration.js';
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
  const { files: all, unlabelled } = await loadLabelledSet(dir, loadConfig(process.env), values.profile);
  const files = all
    .filter((file) => values.only === undefined || file.blobName.includes(values.only))
    .slice(0, values.limit === undefined ? undefined : wholeNumber('limit', values.limit, 1));
  if (unlabelled.length > 0)
    process.stderr.write(
      `[eval] ${unlabelled.length} files without a .expected.json beside them left out (${unlabelled.slice(0, 3).join(', ')}${unlabelled.length > 3 ? ', ...' : ''})\n`,
    );
  if (files.length === 0) throw new Error(`no labelled files in ${dir}: each file X needs X.expected.json beside it`);
  await mkdir(OUT_DIR, { recursive: true });
  const reports: ConfigurationReport[] = [];
  for (const [index, configuration] of configurations.entries()) {
    const config = loadConfig({ ...process.env, ...configuration.settings });
    if (steps !== undefined && config.provider.kind !== 'offline')
      throw new Error("--steps: the preparation steps are the offline reader's; this configuration has a model endpoint");
    process.stderr.write(`[eval] ${configuration.label}: ${files.length} files of ${dir}, ${concurrency} at a time\n`);
    let lastShown = 0;
    const records = await runConfiguration(files, configuration, {
      concurrency,
      profileGiven: values.profile !== undefined,
      warmUp: true,
      ...(steps === undefined ? {} : { provider: createOfflineProvider({ maxInputPixels: config.maxInputPixels, steps }) }),
      logFile: fileURLToPath(new URL(`eval-${index + 1}.log`, OUT_DIR)),
      stallMs: 10 * 60_000,
      progress: (done, total, meanMs) => {
        if (done < total && Date.now() - lastShown < 5_000) return;
        lastShown = Date.now();
        const left = done < total ? `, about ${seconds(((total - done) * meanMs) / concurrency)} left` : '';
        process.stderr.write(`[eval] ${configuration.label}: ${done}/${total} records, ${Math.round(meanMs)} ms per file${left}\n`);
      },
    });
    reports.push(scoreConfiguration(configuration, files, records));
  }
  console.log(`\n${formatReports(reports)}`);
  const out = values.json === undefined ? fileURLToPath(new URL('report.json', OUT_DIR)) : resolve(values.json);
  await writeFile(out, `${JSON.stringify({ set: dir, files: files.length, configurations: reports }, null, 2)}\n`);
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
