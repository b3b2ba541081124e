/**
 * One validated answer from the provider. Every provider's output is checked against the profile's
 * schema, strict structured outputs or not: a compatible server may ignore the schema, and checks such
 * as "a date as YYYY-MM-DD" are not in the JSON Schema at all. An answer that fails gets exactly one
 * repair request (the answer and what is wrong with it go back to the model). A repaired answer whose
 * only remaining faults are format checks on nullable fields succeeds with those fields null
 * (salvageFields.ts); any other second failure is permanent, because asking again the same way would
 * only spend the same tokens again.
 */
import type { z } from 'zod';
import { PermanentError } from '../errors.js';
import { SETTINGS } from '../names.js';
import type { Profile } from '../profiles/types.js';
import { describeIssues } from '../profiles/zodIssues.js';
import type { AnalysisRequest, AnalysisResponse, Usage } from '../providers/types.js';
import { addUsage } from '../providers/usage.js';
import { rejectionWarning, salvageFields, withRejections } from './salvageFields.js';

export interface ValidatedAnswer {
  data: unknown;
  /** The response whose answer validated (the repair's, after a repair); its evidence marks any field set to null. */
  response: AnalysisResponse;
  warnings: string[];
}

/** A truncated answer is asked again once with this many times the room; beyond that the job fails `output_truncated`. */
const TRUNCATION_RETRY_FACTOR = 2;

function outputTruncated(response: AnalysisResponse, budget: number, profileName: string): PermanentError {
  const { reasoningTokens = null, completionTokens } = response.usage;
  const thinking = reasoningTokens === null ? '' : `, ${reasoningTokens} of them reasoning`;
  return new PermanentError(
    'output_truncated',
    `the model used its whole completion budget (${budget} tokens${thinking}) before the "${profileName}" answer was complete, also after one retry with twice the room: ` +
      `lower ${SETTINGS.modelReasoningEffort} or raise the profile's maxOutputTokens`,
    {
      details: {
        model: response.model,
        maxCompletionTokens: budget,
        completionTokens,
        reasoningTokens,
        rawText: response.rawText.slice(0, RAW_TEXT_KEPT),
      },
    },
  );
}

/** Failure records keep this much of each raw answer for diagnosis. */
const RAW_TEXT_KEPT = 4000;

/** `error` is absent when the answer is not JSON at all. */
type Validation = { valid: true; data: unknown } | { valid: false; issues: string[]; error?: z.ZodError };

export function validateAnswer(profile: Profile, response: AnalysisResponse): Validation {
  if (response.data === undefined) {
    return { valid: false, issues: [response.rawText.trim() === '' ? '(root): the answer is empty' : '(root): the answer is not JSON'] };
  }
  const parsed = profile.schema.safeParse(response.data);
  return parsed.success ? { valid: true, data: parsed.data } : { valid: false, issues: describeIssues(parsed.error), error: parsed.error };
}

/** What askModel asks with: any request a provider answers, with room for a larger budget and a repair turn. */
type Asked = Pick<AnalysisRequest, 'profile' | 'repair' | 'maxCompletionTokens'>;

/** `spent` accumulates the tokens of every call, so that a failure record can show what a failed job cost too. */
export async function askModel<R extends Asked>(
  provider: { analyze(request: R): Promise<AnalysisResponse> },
  request: R,
  spent: Usage,
): Promise<ValidatedAnswer> {
  const once = async (next: R): Promise<AnalysisResponse> => {
    const response = await provider.analyze(next);
    addUsage(spent, response.usage);
    return response;
  };
  // Reasoning can spend the budget before the answer starts: ask once more with more room, then give up clearly.
  const call = async (next: R): Promise<AnalysisResponse> => {
    const response = await once(next);
    if (response.truncatedAt === undefined) return response;
    const larger = response.truncatedAt * TRUNCATION_RETRY_FACTOR;
    const retried = await once({ ...next, maxCompletionTokens: larger });
    if (retried.truncatedAt !== undefined) throw outputTruncated(retried, retried.truncatedAt, next.profile.name);
    const note = `the answer did not fit ${response.truncatedAt} completion tokens; it was asked again with ${larger}`;
    return { ...retried, warnings: [...retried.warnings, note] };
  };
  const { profile } = request;
  const first = await call(request);
  const checked = validateAnswer(profile, first);
  if (checked.valid) return { data: checked.data, response: first, warnings: first.warnings };

  const second = await call({ ...request, repair: { rawText: first.rawText, issues: checked.issues } });
  const rechecked = validateAnswer(profile, second);
  if (rechecked.valid) {
    const repaired = `the first answer did not match the "${profile.name}" schema (${checked.issues.join('; ')}); a repair request corrected it`;
    return { data: rechecked.data, response: second, warnings: [...second.warnings, repaired] };
  }
  const salvaged = rechecked.error === undefined ? undefined : salvageFields(profile.schema, second.data, rechecked.error.issues);
  if (salvaged !== undefined) {
    const partly = `the first answer did not match the "${profile.name}" schema (${checked.issues.join('; ')}); a repair request did not correct every field`;
    return {
      data: salvaged.data,
      response: { ...second, evidence: withRejections(second.evidence, salvaged.rejected) },
      warnings: [...second.warnings, partly, ...salvaged.rejected.map(rejectionWarning)],
    };
  }
  throw new PermanentError(
    'schema_validation_failed',
    `the model's answer does not match the "${profile.name}" schema, also after one repair request: ${rechecked.issues.join('; ')}`,
    {
      details: {
        model: second.model,
        issues: rechecked.issues,
        rawText: second.rawText.slice(0, RAW_TEXT_KEPT),
        firstIssues: checked.issues,
        firstRawText: first.rawText.slice(0, RAW_TEXT_KEPT),
      },
    },
  );
}
