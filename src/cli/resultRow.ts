/** One line of `npm run results`: what a record says about a job at a glance. */
import type { ResultRecord } from '../contracts/resultRecord.js';

export const RESULT_COLUMNS: readonly string[] = ['STATUS', 'BLOB', 'PROFILE', 'PROVIDER', 'TOKENS (prompt/completion)', 'TIME', 'NOTE'];

/** Billed tokens, else the image estimate; the offline provider sends nothing to a model, so it has neither. */
export function tokensCell(record: ResultRecord): string {
  const { promptTokens, completionTokens, imageTokensEstimated } = record.usage;
  if (record.provider.name === 'offline') return '-';
  if (promptTokens !== null) return `${promptTokens}/${completionTokens ?? 0}`;
  return imageTokensEstimated !== null ? `~${imageTokensEstimated} (image, estimated)` : '-';
}

export function resultRow(record: ResultRecord): string[] {
  return [
    record.status === 'succeeded' ? 'ok' : 'FAILED',
    record.source.blob,
    record.profile ?? '-',
    record.provider.name ?? '-',
    tokensCell(record),
    `${Math.round(record.timings.totalMs)} ms`,
    record.error?.code ?? (record.warnings.length > 0 ? `${record.warnings.length} warning(s)` : ''),
  ];
}
