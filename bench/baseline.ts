/**
 * The naive way, for comparison: every file at once (one Promise.all), its original bytes base64-encoded
 * at detail high, the same prompt, schema and max_tokens the worker would use for it, no limiter, and the
 * openai SDK's default retries (2, honouring retry-after). Runs in a process of its own so that its peak
 * RSS is its own; the bench sends "start" over IPC and gets one "done" back.
 */
import { AzureOpenAI } from 'openai';
import { builtInProfiles } from '../src/profiles/index.js';
import { baseImages, benchFiles, type Kind } from './images.js';

export interface BaselineStart {
  type: 'start';
  /** The simulator's Azure endpoint. */
  endpoint: string;
  files: number;
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

async function run({ endpoint, files }: BaselineStart): Promise<BaselineOutcome[]> {
  const client = new AzureOpenAI({ apiKey: 'bench', baseURL: `${endpoint}/openai`, apiVersion: '2024-10-21' });
  const set = benchFiles(await baseImages(), files);
  const started = performance.now();
  return Promise.all(
    set.map(async (file): Promise<BaselineOutcome> => {
      const profile = builtInProfiles.get(PROFILE_OF[file.kind]);
      if (profile === undefined) throw new Error(`no built-in profile ${PROFILE_OF[file.kind]}`);
      const mime = file.name.endsWith('.png') ? 'image/png' : 'image/jpeg';
      try {
        await client.chat.completions.create({
          model: 'gpt-4o',
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
          max_tokens: profile.maxOutputTokens,
          temperature: 0,
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
