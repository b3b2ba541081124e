/**
 * The deployments the bench can stand in for. Latencies are assumptions (no cloud model is reachable
 * here), stated in the printed header; quota ratios and request rules come from src/models.
 */
import { resolveModelFamily, type RequestShape } from '../src/models/modelFamilies.js';
import type { LatencyModel } from '../test/support/loadSimulator.js';

export interface BenchModel {
  /** VISION_MODEL and the deployment name. */
  name: string;
  /** The model the simulator answers as (its rules, its reasoning tokens). */
  served: string;
  latency: LatencyModel;
  rpmPer1000Tpm: number;
  shape: RequestShape;
}

const model = (name: string, served: string, latency: LatencyModel): BenchModel => {
  const { family } = resolveModelFamily(name);
  return { name, served, latency, rpmPer1000Tpm: family.rpmPer1000Tpm, shape: family.request.shape };
};

export const BENCH_MODELS: Record<string, BenchModel> = {
  // Reasoning adds its tokens to the output, so the answer comes later than gpt-4o's.
  'gpt-5.1': model('gpt-5.1', 'gpt-5.1-2025-11-13', { baseMs: 1_500, perOutputTokenMs: 12, jitter: 0.25 }),
  // About a second to the first token, then ~65 tokens a second.
  'gpt-4o': model('gpt-4o', 'gpt-4o-2024-11-20', { baseMs: 1_000, perOutputTokenMs: 15, jitter: 0.25 }),
};

export const DEFAULT_BENCH_MODEL = 'gpt-5.1';
