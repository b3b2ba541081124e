import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { PromptCalibration } from '../../src/providers/promptCalibration.js';

/** A real logger writing JSON lines into an array; `warnings` reads back the warn events. */
function recordingLogger() {
  const lines: string[] = [];
  const logger = createLogger('debug', (line) => void lines.push(line));
  const warnings = () =>
    lines.map((line) => JSON.parse(line) as { level: string; event: string; model?: string }).filter((entry) => entry.level === 'warn');
  return Object.assign(logger, { warnings });
}

describe('PromptCalibration', () => {
  it('starts at 1, takes the first billed ratio, then moves a fifth of the way per call', () => {
    const calibration = new PromptCalibration();
    expect(calibration.ratio('gpt-5-mini')).toBe(1);
    calibration.observe('gpt-5-mini', 1000, 800);
    expect(calibration.ratio('gpt-5-mini')).toBeCloseTo(0.8, 10);
    calibration.observe('gpt-5-mini', 1000, 1300);
    expect(calibration.ratio('gpt-5-mini')).toBeCloseTo(0.9, 10);
    expect(calibration.calibrated('gpt-5-mini', 2000)).toBe(1800);
    // Each model keeps its own ratio.
    expect(calibration.ratio('gpt-5.1')).toBe(1);
  });

  it('reports the difference of each call and warns once per model beyond 15 %', () => {
    const logger = recordingLogger();
    const calibration = new PromptCalibration(logger);
    expect(calibration.observe('gpt-5.1', 1000, 1100)?.difference).toBeCloseTo(0.1, 10);
    expect(logger.warnings()).toHaveLength(0);
    expect(calibration.observe('gpt-5-nano', 1000, 610)?.difference).toBeCloseTo(-0.39, 10);
    calibration.observe('gpt-5-nano', 1000, 610);
    expect(logger.warnings().map((w) => [w.event, w.model])).toEqual([['model.prompt_calibration', 'gpt-5-nano']]);
  });

  it('ignores calls without a billed figure and keeps a wild ratio within bounds', () => {
    const calibration = new PromptCalibration();
    expect(calibration.observe('m', 0, 100)).toBeUndefined();
    expect(calibration.observe('m', 100, 0)).toBeUndefined();
    calibration.observe('m', 10, 1000);
    expect(calibration.ratio('m')).toBe(4);
  });
});
