/**
 * The rate-limited openai provider against the load simulator, which enforces a quota as Azure OpenAI
 * does (estimated max tokens charged on arrival, short windows, 429 with retry-after): a burst stays
 * within the quota without being timid, 429s are waited out, and the limiter learns from the headers.
 */
import sharp from 'sharp';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { describeProfile } from '../../src/profiles/describe.js';
import type { Profile } from '../../src/profiles/types.js';
import { createProvider } from '../../src/providers/createProvider.js';
import { createOpenAiProvider } from '../../src/providers/openaiProvider.js';
import { PromptCalibration } from '../../src/providers/promptCalibration.js';
import { estimatePromptTokens, observingFetch, withRateLimit } from '../../src/providers/rateLimitedProvider.js';
import { RateLimiter } from '../../src/providers/rateLimit/rateLimiter.js';
import type { LimiterState } from '../../src/providers/rateLimit/state.js';
import type { AnalysisRequest, VisionProvider } from '../../src/providers/types.js';
import { startLoadSimulator, type LoadSimulator } from '../support/loadSimulator.js';

const WINDOW_MS = 1_000;
/** The limiter keeps each charge this much longer than the window. */
const MARGIN_MS = 100;
const LATENCY = { baseMs: 60, perOutputTokenMs: 0.5, jitter: 0.2 };
/** Requests sent before a 429 was seen may still arrive this long after it (more when the machine is busy). */
const ON_THE_WIRE_MS = 100;
/**
 * The simulator shares the test's event loop, so a busy machine can hold a request's arrival past the
 * limiter's expiry margin; the four requests of one window then meet a 429 (waited out, and the margin
 * grows). A quiet machine sees none; without the limiter most of every burst would be refused.
 */
const BUSY_MACHINE_429S = 4;

let request: AnalysisRequest;
/** What one request to a gpt-4o deployment is charged: prompt + max_tokens. */
const chargeOf = (r: AnalysisRequest): number => estimatePromptTokens(r) + r.profile.maxOutputTokens;

let charge: number;
let simulator: LoadSimulator | undefined;
const providers: VisionProvider[] = [];

beforeAll(async () => {
  const bytes = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#336699' } })
    .jpeg()
    .toBuffer();
  request = {
    profile: describeProfile as Profile,
    images: [
      {
        name: 'photo.jpg',
        image: { bytes, mime: 'image/jpeg', width: 64, height: 48, detail: 'low', imageTokens: 85 },
        source: { bytes, mime: 'image/jpeg', width: 64, height: 48 },
      },
    ],
  };
  charge = chargeOf(request);
});

afterEach(async () => {
  await Promise.all(providers.splice(0).map((provider) => provider.close()));
  await simulator?.close();
  simulator = undefined;
});

/** A simulator whose window holds `perWindow` requests of this test's size. */
async function simulatorFor(perWindow: number): Promise<LoadSimulator> {
  simulator = await startLoadSimulator({
    tokensPerMinute: Math.ceil((perWindow * charge * 60_000) / WINDOW_MS),
    windowMs: WINDOW_MS,
    latency: LATENCY,
  });
  return simulator;
}

function configFor(sim: LoadSimulator, env: Record<string, string> = {}): Config {
  return loadConfig({
    AZURE_OPENAI_ENDPOINT: sim.url,
    AZURE_OPENAI_API_KEY: 'test-key',
    AZURE_OPENAI_DEPLOYMENT: 'gpt-4o',
    MODEL_TIMEOUT_MS: '10000',
    MODEL_RATE_WINDOW_SECONDS: String(WINDOW_MS / 1000),
    ...env,
  });
}

function providerFor(config: Config, states: LimiterState[] = []): VisionProvider {
  const provider = createProvider(config, { reportLimiter: async (state) => void states.push(state) });
  providers.push(provider);
  return provider;
}

/** Arrival times at the simulator, admitted or refused, in order. */
const arrivals = (sim: LoadSimulator): number[] =>
  [...sim.admissions.map((a) => a.at), ...sim.refusals.map((r) => r.at)].sort((a, b) => a - b);

describe('the rate-limited provider against the load simulator', () => {
  it('estimates what the service charges', async () => {
    const sim = await simulatorFor(100);
    const provider = providerFor(configFor(sim, { MODEL_TPM: String(sim.tokensPerMinute) }));
    await provider.analyze(request);
    // OCR grounding adds its text to the prompt, and to the estimate.
    const grounded = { ...request, grounding: `<ocr>\n${'Total  12.50\n'.repeat(40)}</ocr>` };
    await provider.analyze(grounded);
    expect(chargeOf(grounded)).toBeGreaterThan(charge + 100);
    expect(sim.admissions.map((a) => a.tokens)).toEqual([charge, chargeOf(grounded)]);
  });

  it('keeps a burst within the quota, and uses it', async () => {
    const sim = await simulatorFor(4);
    const provider = providerFor(configFor(sim, { MODEL_TPM: String(sim.tokensPerMinute) }));
    const answers = await Promise.all(Array.from({ length: 16 }, () => provider.analyze(request)));

    expect(answers).toHaveLength(16);
    expect(sim.counters()).toMatchObject({ succeeded: 16, tokensCharged: 16 * charge });
    expect(sim.counters().rateLimited).toBeLessThanOrEqual(BUSY_MACHINE_429S);
    // Four windows' worth: no faster than the quota allows, and no slower than the limiter's margin costs.
    const times = sim.admissions.map((a) => a.at);
    const span = (times.at(-1) ?? 0) - (times[0] ?? 0);
    expect(span).toBeGreaterThanOrEqual(3 * WINDOW_MS);
    expect(span).toBeLessThan(3 * (WINDOW_MS + MARGIN_MS) + 300);
  });

  it('waits out 429s for their retry-after instead of failing, when its limits are set too high', async () => {
    const sim = await simulatorFor(4);
    const states: LimiterState[] = [];
    const provider = providerFor(configFor(sim, { MODEL_TPM: String(4 * sim.tokensPerMinute) }), states);
    const answers = await Promise.all(Array.from({ length: 16 }, () => provider.analyze(request)));

    expect(answers).toHaveLength(16);
    const { rateLimited } = sim.counters();
    expect(rateLimited).toBeGreaterThan(0);
    // After each refusal nothing arrives (beyond requests already on the wire) until its retry-after has passed.
    const all = arrivals(sim);
    for (const refusal of sim.refusals) {
      const early = all.filter((at) => at > refusal.at + ON_THE_WIRE_MS && at < refusal.at + refusal.retryAfterMs - 5);
      expect(early, `arrivals within the ${refusal.retryAfterMs} ms retry-after of the 429 at ${Math.round(refusal.at)}`).toEqual([]);
    }
    await provider.close();
    const last = states.at(-1);
    expect(last?.rateLimited).toBe(rateLimited);
    expect(last?.factor).toBeLessThan(1);
  });

  it('learns the quota from the headers when none is configured: one call first, then within it', async () => {
    const sim = await simulatorFor(4);
    const states: LimiterState[] = [];
    const provider = providerFor(configFor(sim), states);
    await Promise.all(Array.from({ length: 12 }, () => provider.analyze(request)));

    expect(sim.counters().succeeded).toBe(12);
    expect(sim.counters().rateLimited).toBeLessThanOrEqual(BUSY_MACHINE_429S);
    // The second call waited for the first's answer (its latency is at least the base).
    const [first, second] = sim.admissions;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(LATENCY.baseMs * (1 - LATENCY.jitter));
    await provider.close();
    expect(states.at(-1)?.tokens).toMatchObject({ source: 'learned', perMinute: sim.tokensPerMinute, capacity: sim.tokenCapacity });
    expect(states.at(-1)?.requests).toMatchObject({ source: 'learned', capacity: sim.requestCapacity });
  });

  it('makes room for what another instance charges, as the headers reveal it', async () => {
    const sim = await simulatorFor(6);
    const states: LimiterState[] = [];
    const limiter = new RateLimiter({
      ...configFor(sim, { MODEL_TPM: String(sim.tokensPerMinute) }).rateLimit,
      reportEveryMs: 50,
      report: (s) => void states.push(s),
    });
    const inner = createOpenAiProvider(
      { kind: 'azure-openai', endpoint: sim.url, deployment: 'gpt-4o', apiKey: 'k' },
      configFor(sim).model,
      {
        fetch: observingFetch(globalThis.fetch, limiter),
      },
    );
    const provider = withRateLimit(inner, limiter, {
      visionModel: 'gpt-4o',
      request: configFor(sim).model.request,
      calibration: new PromptCalibration(),
    });
    providers.push(provider);
    // Another instance takes four of the window's six places; only the headers tell this one.
    const other = createOpenAiProvider(
      { kind: 'azure-openai', endpoint: sim.url, deployment: 'gpt-4o', apiKey: 'k' },
      configFor(sim).model,
    );
    await Promise.all(Array.from({ length: 4 }, () => other.analyze(request)));
    await provider.analyze(request);
    const burst = Array.from({ length: 6 }, () => provider.analyze(request));
    await Promise.all(burst);

    // Without the headers it would have sent five at once into a window with one place left.
    expect(sim.counters()).toMatchObject({ rateLimited: 0, succeeded: 11 });
    expect(Math.max(...states.map((s) => s.tokens.external))).toBe(4 * charge);
    const times = sim.admissions.map((a) => a.at);
    // One of the burst fits at once; the rest wait for the other instance's charges to leave the window.
    expect((times[5] ?? 0) - (times[0] ?? 0)).toBeLessThan(WINDOW_MS);
    expect((times[6] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(WINDOW_MS);
  });
});
