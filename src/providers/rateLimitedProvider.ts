/**
 * A vision provider whose model calls go through the process's rate limiter: each call waits for its
 * estimated charge to fit the quota, and a call refused with a 429 waits again (the limiter honours the
 * retry-after) instead of failing the job, until the limiter's max wait runs out. Each answer carries
 * the prompt estimate beside what was billed, and the ratio between them corrects later charges.
 */
import { WorkerError } from '../errors.js';
import { planFor, type RequestSettings } from '../models/requestShape.js';
import { CALIBRATION_WARN_DIFFERENCE, type PromptCalibration } from './promptCalibration.js';
import type { RateLimiter } from './rateLimit/rateLimiter.js';
import { retryAfterOf } from './retryAfter.js';
import type { AnalysisRequest, AnalysisResponse, VisionProvider } from './types.js';

const CHARS_PER_TOKEN = 4;
/** A comparison introduces each image by name ("Image 2: <name>"): the name plus about this much. */
const IMAGE_LABEL_CHARS = 12;

/**
 * The prompt as estimated before the call: text at ~4 characters a token (the response_format schema
 * included), each image as its family's formula says.
 */
export function estimatePromptTokens({ profile, images, repair, grounding }: AnalysisRequest): number {
  let chars = profile.system.length + profile.user.length + JSON.stringify(profile.jsonSchema).length + (grounding?.length ?? 0);
  if (images.length > 1) for (const { name } of images) chars += name.length + IMAGE_LABEL_CHARS;
  if (repair !== undefined) chars += repair.rawText.length + repair.issues.join('\n').length;
  const imageTokens = images.reduce((sum, { image }) => sum + image.imageTokens, 0);
  return Math.ceil(chars / CHARS_PER_TOKEN) + imageTokens;
}

export interface ChargeOptions {
  /** The model behind the deployment (VISION_MODEL): the calibration key when a profile names none. */
  visionModel: string;
  request: RequestSettings;
  calibration: PromptCalibration;
}

/**
 * What the service charges on arrival: the calibrated prompt plus the whole completion budget; the
 * limiter learns from the service's headers whatever this misses.
 */
export function estimateCharge(request: AnalysisRequest, options: ChargeOptions): number {
  const model = request.profile.model ?? options.visionModel;
  return (
    options.calibration.calibrated(model, estimatePromptTokens(request)) + planFor(request, options.visionModel, options.request).budget
  );
}

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * Tells the limiter when each request leaves and what each response said, and keeps the SDK from retrying
 * a 429 itself: a retry waits for quota like any call, or a burst's refusals would all return at once.
 */
export function observingFetch(fetch: Fetch, limiter: RateLimiter): Fetch {
  return async (input, init) => {
    limiter.sending();
    const response = await fetch(input, init);
    limiter.observe(response.status, response.headers);
    if (response.status !== 429) return response;
    const headers = new Headers(response.headers);
    headers.set('x-should-retry', 'false');
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}

/** Sets the estimate beside what was billed, learns the ratio, and says so in the answer when they differ much. */
function calibrate(response: AnalysisResponse, model: string, estimated: number, calibration: PromptCalibration): AnalysisResponse {
  const billed = response.usage.promptTokens;
  const usage = { ...response.usage, promptTokensEstimated: estimated };
  const sample = billed === null ? undefined : calibration.observe(model, estimated, billed);
  if (sample === undefined || Math.abs(sample.difference) <= CALIBRATION_WARN_DIFFERENCE) return { ...response, usage };
  const percent = `${sample.difference > 0 ? '+' : ''}${Math.round(sample.difference * 100)} %`;
  const warning = `billed prompt tokens (${billed}) differ from the estimate (${estimated}) by ${percent}; ${model}'s calls are now charged at ${sample.ratio} x the estimate`;
  return { ...response, usage, warnings: [...response.warnings, warning] };
}

export function withRateLimit(inner: VisionProvider, limiter: RateLimiter, charge: ChargeOptions): VisionProvider {
  return {
    name: inner.name,
    async analyze(request: AnalysisRequest): Promise<AnalysisResponse> {
      const model = request.profile.model ?? charge.visionModel;
      const estimated = estimatePromptTokens(request);
      const tokens = estimateCharge(request, charge);
      // One deadline for the whole call: waiting again after a 429 does not restart the clock.
      const deadline = performance.now() + limiter.maxWaitMs;
      const options = { deadline, ...(request.signal === undefined ? {} : { signal: request.signal }) };
      // Ends: acquire() rejects once the deadline has passed, and every other error is thrown.
      for (;;) {
        const ticket = await limiter.acquire(tokens, options);
        try {
          const response = await limiter.run(ticket, () => inner.analyze(request));
          return calibrate(response, model, estimated, charge.calibration);
        } catch (error) {
          if (!(error instanceof WorkerError) || error.code !== 'rate_limited' || performance.now() >= deadline) throw error;
          limiter.rateLimited(ticket, retryAfterOf(error));
        }
      }
    },
    close: async () => {
      await limiter.close();
      await inner.close();
    },
  };
}
