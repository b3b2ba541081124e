/**
 * The naive way, for comparison: every file at once (one Promise.all), its original bytes base64-encoded
 * at detail high, the same prompt and schema, the profile's output limit as the model's request shape
 * names it (a reasoning model thinks at its default effort, with no allowance for it), no limiter, and the
 * openai SDK's default retries (2, honouring retry-after). Runs in a process of its own so that its peak
 * RSS is its own; the bench sends "start" over IPC and gets one "done" back.
 */
import OpenAI from 'openai';
import type { RequestShape } from '../src/models/modelFamilies.js';
import { builtInProfiles } from '../src/profiles/index.js';
import { baseImages, benchFiles, type Kind } from './images.js';

export interface BaselineStart {
  type: 'start';
  /** The simulator's Azure endpoint. */
  endpoint: string;
  files: number;
  model: string;
  shape: RequestShape;
}

export interface BaselineOutcome {
  name: string;
  ok: boolean;
  /** Since the Promise.all began. */
  doneMs: number;
  error?: string;
}

export interface BaselineReport {
  type: 'done';
  outcomes: BaselineOutcome[];
  peakRssBytes: number;
}

/** As BENCH_PROFILE_RULES routes them. */
const PROFILE_OF: Record<Kind, string> = { photo: 'describe', scan: 'form', screenshot: 'describe' };

async function run({ endpoint, files, model, shape }: BaselineStart): Promise<BaselineOutcome[]> {
  const client = new OpenAI({ apiKey: 'bench', baseURL: `${endpoint}/openai/v1` });
  const set = benchFiles(await baseImages(), files);
  const started = performance.now();
  return Promise.all(
    set.map(async (file): Promise<BaselineOutcome> => {
      const profile = builtInProfiles.get(PROFILE_OF[file.kind]);
      if (profile === undefined) throw new Error(`no built-in profile ${PROFILE_OF[file.kind]}`);
      const mime = file.name.endsWith('.png') ? 'image/png' : 'image/jpeg';
      try {
        await client.chat.completions.create({
          model,
          messages: [
            { role: 'system', content: profile.system },
            {
              role: 'user',
              content: [
                { type: 'text', text: profile.user },
                { type: 'image_url', image_url: { url: `data:${mime};base64,${file.bytes().toString('base64')}`, detail: 'high' } },
              ],
            },
          ],
          response_format: { type: 'json_schema', json_schema: { name: profile.name, schema: profile.jsonSchema, strict: true } },
          ...(shape === 'classic'
            ? { max_tokens: profile.maxOutputTokens, temperature: 0 }
            : { max_completion_tokens: profile.maxOutputTokens }),
        });
        return { name: file.name, ok: true, doneMs: performance.now() - started };
      } catch (error) {
        return {
          name: file.name,
          ok: false,
          doneMs: performance.now() - started,
          error: error instanceof Error ? error.message.slice(0, 200) : String(error),
        };
      }
    }),
  );
}

process.once('message', (message: BaselineStart) => {
  void run(message).then((outcomes) => {
    const report: BaselineReport = { type: 'done', outcomes, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
    process.send?.(report, () => process.exit(0));
  });
});
