/**
 * What the service bills for a prompt against what the project estimated (text at ~4 characters a
 * token, images by the family's formula), kept per model. Published image multipliers and measured
 * billing disagree for some families; the billed `prompt_tokens` is the truth, and the ratio learnt
 * from it corrects the limiter's charge and the cost estimate of the calls that follow.
 */
import type { Logger } from '../log.js';

/** Beyond this relative difference between billed and estimated, the record and the log say so. */
export const CALIBRATION_WARN_DIFFERENCE = 0.15;
/** Each new call moves the ratio this far towards its own; one odd call cannot swing the charge. */
const SMOOTHING = 0.2;
/** A ratio outside this range is a tokenizer the estimate does not describe at all; it is not followed further. */
const RATIO_RANGE = { min: 0.25, max: 4 } as const;

export interface CalibrationSample {
  model: string;
  /** The ratio in use after this call. */
  ratio: number;
  /** billed / estimated - 1 of this call. */
  difference: number;
}

export class PromptCalibration {
  private readonly ratios = new Map<string, number>();
  private readonly warned = new Set<string>();

  constructor(private readonly logger?: Logger) {}

  /** billed / estimated for the model so far; 1 before its first billed call. */
  ratio(model: string): number {
    return this.ratios.get(model) ?? 1;
  }

  /** The estimate corrected by what the model's calls have been billed so far. */
  calibrated(model: string, estimated: number): number {
    return Math.ceil(estimated * this.ratio(model));
  }

  observe(model: string, estimated: number, billed: number): CalibrationSample | undefined {
    if (estimated <= 0 || billed <= 0) return undefined;
    const own = Math.min(RATIO_RANGE.max, Math.max(RATIO_RANGE.min, billed / estimated));
    const previous = this.ratios.get(model);
    const ratio = previous === undefined ? own : previous + SMOOTHING * (own - previous);
    this.ratios.set(model, ratio);
    const difference = billed / estimated - 1;
    if (Math.abs(difference) > CALIBRATION_WARN_DIFFERENCE && !this.warned.has(model)) {
      this.warned.add(model);
      this.logger?.warn('model.prompt_calibration', {
        model,
        estimated,
        billed,
        difference: Math.round(difference * 1000) / 1000,
        note: 'billed prompt tokens differ from the estimate; the rate limiter and the cost now follow the billed ratio',
      });
    }
    return { model, ratio: Math.round(ratio * 1000) / 1000, difference };
  }
}
