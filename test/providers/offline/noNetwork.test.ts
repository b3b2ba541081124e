import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const preload = fileURLToPath(new URL('./support/denyNetwork.cjs', import.meta.url));
const child = fileURLToPath(new URL('./support/readOffline.ts', import.meta.url));

describe('offline OCR', () => {
  it('reads an invoice with every network call made to fail', async () => {
    // Document 0 of seed 1 is a clean invoice; the child prints what it read as JSON.
    const { stdout, stderr } = await run(process.execPath, ['--require', preload, '--import', 'tsx', child, '0'], { timeout: 60_000 });
    const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      guard: Record<string, string>;
      expected: { invoice_number: string; date: string; total: number };
      data: { invoice_number: string; date: string; total: number };
      engine: string;
    };
    // The guard is really in force, in the main thread and in worker threads...
    expect(result.guard).toEqual({
      fetch: 'network access denied: fetch',
      socket: 'network access denied: net.connect',
      dns: 'network access denied: dns.lookup',
      worker: 'network access denied: net.connect',
    });
    // ...and only the probes above tripped it: OCR itself never tried.
    expect(stderr.match(/network access denied/g)).toHaveLength(4);
    expect(result.data).toMatchObject({
      invoice_number: result.expected.invoice_number,
      date: result.expected.date,
      total: result.expected.total,
    });
    expect(result.engine).toMatch(/^tesseract\.js 7\.\d+\.\d+ \(tesseract 5\./);
  });
});
