/** Scores one configuration's records against the labels, and prints configurations side by side. */
import { posix } from 'node:path';
import type { ResultRecord } from '../src/contracts/resultRecord.js';
import { compareFields, type FieldOutcome } from './fieldMatch.js';
import type { LabelledFile } from './labelledSet.js';
import type { Configuration } from './runConfiguration.js';

export interface FileScore {
  file: string;
  profile: string;
  status: ResultRecord['status'];
  /** The failure's code, for a failed record. */
  error?: string;
  ms: number;
  promptTokens: number | null;
  completionTokens: number | null;
  costUsd: number | null;
  fields: FieldOutcome[];
}

export interface Tally {
  hits: number;
  total: number;
}

export interface ConfigurationReport {
  label: string;
  settings: Configuration['settings'];
  provider: string | null;
  model: string | null;
  /** `profile.field` -> exact matches. */
  fields: Record<string, Tally>;
  /** The folder of the files -> `profile.field` -> exact matches. */
  folders: Record<string, Record<string, Tally>>;
  failed: number;
  time: { meanMs: number; p95Ms: number };
  /** Per file, for a provider that reports tokens; null offline. */
  tokens: { prompt: number; completion: number } | null;
  cost: { perFileUsd: number; totalUsd: number } | null;
  files: FileScore[];
}

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

/** Nearest rank: the smallest value at least 95 % of the values do not exceed. */
export function p95(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(0.95 * sorted.length) - 1)] ?? 0;
}

function tally(into: Record<string, Tally>, key: string, ok: boolean): void {
  const cell = (into[key] ??= { hits: 0, total: 0 });
  cell.total++;
  if (ok) cell.hits++;
}

export function scoreConfiguration(
  configuration: Configuration,
  files: LabelledFile[],
  records: Map<string, ResultRecord>,
): ConfigurationReport {
  const scores: FileScore[] = files.map((file) => {
    const record = records.get(file.blobName);
    if (record === undefined) throw new Error(`no record for ${file.blobName}`);
    return {
      file: file.blobName,
      profile: record.profile ?? file.profile,
      status: record.status,
      ...(record.error === undefined ? {} : { error: `${record.error.code}: ${record.error.message}` }),
      ms: Math.round(record.timings.totalMs),
      promptTokens: record.usage.promptTokens,
      completionTokens: record.usage.completionTokens,
      costUsd: record.usage.estimatedCostUsd,
      fields: compareFields(file.expected, record.status === 'succeeded' ? record.data : undefined),
    };
  });
  const fields: Record<string, Tally> = {};
  const folders: Record<string, Record<string, Tally>> = {};
  for (const score of scores) {
    for (const outcome of score.fields) {
      const key = `${score.profile}.${outcome.field}`;
      tally(fields, key, outcome.ok);
      tally((folders[posix.dirname(score.file)] ??= {}), key, outcome.ok);
    }
  }
  const billed = scores.filter((score) => score.promptTokens !== null);
  const priced = scores.filter((score) => score.costUsd !== null);
  const first = [...records.values()].find((record) => record.provider.name !== null);
  return {
    label: configuration.label,
    settings: configuration.settings,
    provider: first?.provider.name ?? null,
    model: first?.provider.model ?? null,
    fields,
    folders,
    failed: scores.filter((score) => score.status === 'failed').length,
    time: { meanMs: Math.round(mean(scores.map((score) => score.ms))), p95Ms: p95(scores.map((score) => score.ms)) },
    tokens:
      billed.length === 0
        ? null
        : {
            prompt: Math.round(mean(billed.map((score) => score.promptTokens ?? 0))),
            completion: Math.round(mean(billed.map((score) => score.completionTokens ?? 0))),
          },
    cost:
      priced.length === 0
        ? null
        : { perFileUsd: mean(priced.map((score) => score.costUsd ?? 0)), totalUsd: priced.reduce((a, b) => a + (b.costUsd ?? 0), 0) },
    files: scores,
  };
}

const rate = (cell: Tally | undefined): string =>
  cell === undefined || cell.total === 0 ? '-' : `${((100 * cell.hits) / cell.total).toFixed(1)}% ${cell.hits}/${cell.total}`;

function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]): string =>
    row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

const show = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? 'null'));

/** The configurations side by side: accuracy per field, per folder when there are several, time, tokens, cost, then each miss. */
export function formatReports(reports: ConfigurationReport[]): string {
  const header = ['field (exact match)', ...reports.map((report) => report.label)];
  const keys = [...new Set(reports.flatMap((report) => Object.keys(report.fields)))].sort();
  const out: string[] = [
    table(
      header,
      keys.map((key) => [key, ...reports.map((report) => rate(report.fields[key]))]),
    ),
  ];
  const folders = [...new Set(reports.flatMap((report) => Object.keys(report.folders)))].sort();
  if (folders.length > 1) {
    const rows = folders.flatMap((folder) =>
      [...new Set(reports.flatMap((report) => Object.keys(report.folders[folder] ?? {})))]
        .sort()
        .map((key) => [`${folder}/ ${key}`, ...reports.map((report) => rate(report.folders[folder]?.[key]))]),
    );
    out.push('', table(['by folder', ...reports.map((report) => report.label)], rows));
  }
  const money = (usd: number): string => `$${usd < 0.01 ? usd.toFixed(5) : usd.toFixed(4)}`;
  out.push(
    '',
    table(
      ['per file', ...reports.map((report) => report.label)],
      [
        ['provider / model', ...reports.map((report) => `${report.provider ?? '-'} / ${report.model ?? '-'}`)],
        ['failed records', ...reports.map((report) => String(report.failed))],
        ['mean time', ...reports.map((report) => `${report.time.meanMs} ms`)],
        ['p95 time', ...reports.map((report) => `${report.time.p95Ms} ms`)],
        [
          'tokens in / out',
          ...reports.map((report) => (report.tokens === null ? '-' : `${report.tokens.prompt} / ${report.tokens.completion}`)),
        ],
        ['cost per file', ...reports.map((report) => (report.cost === null ? '-' : money(report.cost.perFileUsd)))],
        ['cost of the set', ...reports.map((report) => (report.cost === null ? '-' : money(report.cost.totalUsd)))],
      ],
    ),
  );
  for (const report of reports) {
    const misses = report.files.flatMap((score) =>
      score.fields
        .filter((outcome) => !outcome.ok)
        .map(
          (outcome) =>
            `  ${score.file} ${outcome.field}: got ${score.error === undefined ? show(outcome.got) : `a failed record (${score.error})`}, wanted ${show(outcome.wanted)}`,
        ),
    );
    out.push('', `misses (${report.label}): ${misses.length}`, ...misses);
  }
  return out.join('\n');
}
