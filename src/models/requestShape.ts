/**
 * What one chat request carries for a model: its shape (see `RequestShape`), the reasoning effort and
 * the completion budget. Reasoning tokens count against `max_completion_tokens`, so a reasoning request
 * reserves room for them on top of the profile's output.
 */
import { REASONING_EFFORTS, resolveModelFamily, type ReasoningEffort, type RequestShape } from './modelFamilies.js';

export interface RequestSettings {
  /** MODEL_REQUEST_SHAPE: `auto` takes the family's shape from the table. */
  shape: RequestShape | 'auto';
  /** The shape `auto` gives a model name the table does not know (it depends on the endpoint). */
  unknownModelShape: RequestShape;
  /** MODEL_REASONING_EFFORT */
  reasoningEffort: ReasoningEffort;
}

export type RequestPlan = { shape: 'classic' } | { shape: 'reasoning'; effort: ReasoningEffort };

/**
 * Tokens reserved for reasoning on top of the answer, per effort. Azure charges the whole budget
 * against the TPM quota on arrival, so it is no larger than extraction needs (docs/models.md).
 */
const REASONING_ALLOWANCE: Record<ReasoningEffort, number> = {
  none: 0,
  minimal: 512,
  low: 2048,
  medium: 8192,
  high: 16384,
  xhigh: 32768,
};

/** The configured effort when the family accepts it, else the next stronger one it accepts, else its strongest. */
function effortFor(accepted: readonly ReasoningEffort[], wanted: ReasoningEffort): ReasoningEffort {
  const from = REASONING_EFFORTS.indexOf(wanted);
  return accepted.find((effort) => REASONING_EFFORTS.indexOf(effort) >= from) ?? accepted[accepted.length - 1] ?? wanted;
}

export function planRequest(model: string, settings: RequestSettings): RequestPlan {
  const { family, known } = resolveModelFamily(model);
  const shape = settings.shape !== 'auto' ? settings.shape : known ? family.request.shape : settings.unknownModelShape;
  if (shape === 'classic') return { shape };
  const accepted = known && family.request.shape === 'reasoning' ? family.request.efforts : undefined;
  return { shape, effort: accepted === undefined ? settings.reasoningEffort : effortFor(accepted, settings.reasoningEffort) };
}

/** `max_tokens` (classic) or `max_completion_tokens` (reasoning) for an answer of at most `maxOutputTokens`. */
export function completionBudget(plan: RequestPlan, maxOutputTokens: number): number {
  return plan.shape === 'classic' ? maxOutputTokens : maxOutputTokens + REASONING_ALLOWANCE[plan.effort];
}

/** The plan and budget of one request: the profile's model, else the model behind the deployment. */
export function planFor(
  request: { profile: { model?: string; maxOutputTokens: number }; maxCompletionTokens?: number },
  visionModel: string,
  settings: RequestSettings,
): { plan: RequestPlan; budget: number } {
  const plan = planRequest(request.profile.model ?? visionModel, settings);
  return { plan, budget: request.maxCompletionTokens ?? completionBudget(plan, request.profile.maxOutputTokens) };
}
