/**
 * One evaluation: a labelled set through the worker once per configuration, each scored per field
 * (docs/evaluation.md). `npm run eval` (run.ts) is this plus argument parsing and printing.
 */
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import type { PreparationSteps } from '../src/ocr/prepareForOcr.js';
import { createOfflineProvider } from '../src/providers/offlineProvider.js';
import { loadLabelledSet, type LabelledFile } from './labelledSet.js';
import { scoreConfiguration, type ConfigurationReport } from './report.js';
import { runConfiguration, type Configuration } from './runConfiguration.js';

export interface EvaluateOptions {
  dir: string;
  configurations: Configuration[];
  /** Every file gets this profile instead of the path rules' (sent as blob metadata). */
  profile?: string | undefined;
  /** Only the files whose name below the set contains this text. */
  only?: string | undefined;
  /** At most this many files (after `only`), in name order. */
  limit?: number | undefined;
  concurrency: number;
  /** The offline reader's preparation steps; refused for a configuration with a model endpoint. */
  steps?: Partial<PreparationSteps> | undefined;
  warmUp: boolean;
  /** Where each configuration's log (`eval-N.log`) goes. */
  logDir: string;
  stallMs: number;
  /** Once every configuration's labels are checked, before the first run. */
  onLoaded?: (unlabelled: string[]) => void;
  onStart?: (configuration: Configuration, files: number) => void;
  progress?: (configuration: Configuration, done: number, total: number, meanMs: number) => void;
}

export interface Evaluation {
  set: string;
  files: number;
  /** Files with no `.expected.json` beside them, left out. */
  unlabelled: string[];
  configurations: ConfigurationReport[];
}

/**
 * The set as each configuration sees it: its own settings pick the profiles (PROFILES_FILE, PROFILE_RULES),
 * so the labels are checked against the schemas that configuration will answer with. Every configuration
 * is checked before the first one runs, so that a bad label costs no model call.
 */
async function filesPerConfiguration(options: EvaluateOptions): Promise<{ files: LabelledFile[][]; unlabelled: string[] }> {
  let unlabelled: string[] = [];
  const files: LabelledFile[][] = [];
  for (const configuration of options.configurations) {
    const config = loadConfig({ ...process.env, ...configuration.settings });
    if (options.steps !== undefined && config.provider.kind !== 'offline')
      throw new Error(`--steps: the preparation steps are the offline reader's; "${configuration.label}" has a model endpoint`);
    const set = await loadLabelledSet(options.dir, config, options.profile);
    unlabelled = set.unlabelled;
    const chosen = set.files.filter((file) => options.only === undefined || file.blobName.includes(options.only)).slice(0, options.limit);
    if (chosen.length === 0)
      throw new Error(
        `no labelled files in ${options.dir}${options.only === undefined ? '' : ` matching "${options.only}"`}: each file X needs X.expected.json beside it`,
      );
    files.push(chosen);
  }
  return { files, unlabelled };
}

export async function evaluate(options: EvaluateOptions): Promise<Evaluation> {
  const { files, unlabelled } = await filesPerConfiguration(options);
  options.onLoaded?.(unlabelled);
  const reports: ConfigurationReport[] = [];
  for (const [index, configuration] of options.configurations.entries()) {
    const chosen = files[index] ?? [];
    options.onStart?.(configuration, chosen.length);
    const config = loadConfig({ ...process.env, ...configuration.settings });
    const records = await runConfiguration(chosen, configuration, {
      concurrency: options.concurrency,
      profileGiven: options.profile !== undefined,
      warmUp: options.warmUp,
      ...(options.steps === undefined
        ? {}
        : { provider: createOfflineProvider({ maxInputPixels: config.maxInputPixels, steps: options.steps }) }),
      logFile: join(options.logDir, `eval-${index + 1}.log`),
      stallMs: options.stallMs,
      progress: (done, total, meanMs) => options.progress?.(configuration, done, total, meanMs),
    });
    reports.push(scoreConfiguration(configuration, chosen, records));
  }
  return { set: options.dir, files: files[0]?.length ?? 0, unlabelled, configurations: reports };
}
