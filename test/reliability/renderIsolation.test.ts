/**
 * Files that would take the worker down, through the local host: a stroke bomb and an image bomb
 * (generated, a few KB each) end with their failure records while the event loop stays responsive and
 * the next ordinary PDF succeeds; a render child stopped at its deadline or its memory cap is replaced.
 * Then real multi-page PDFs drawn 12 at a time under forced GCs, in a child process with --expose-gc.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { Env } from '../../src/config.js';
import { closeRenderPools } from '../../src/isolation/renderPool.js';
import type { ResultRecord } from '../../src/contracts/resultRecord.js';
import { startTestHost } from '../support/testHost.js';
import { imageBomb, strokeBomb } from './support/documentBombs.js';

/** The worker's event loop may never stall this long while a bomb is drawn elsewhere. */
const MAX_LOOP_LAG_MS = 1_000;
const invoice = readFileSync(new URL('../fixtures/documents/multipage-invoice.pdf', import.meta.url));

interface Run {
  bomb: ResultRecord;
  after: ResultRecord;
  maxLagMs: number;
  ms: number;
}

/** Uploads the bomb, then an ordinary PDF, to a host with `env`, measuring the loop's worst delay meanwhile. */
async function bombThenInvoice(bytes: Buffer, env: Env): Promise<Run> {
  const t = await startTestHost({ env });
  const lag = monitorEventLoopDelay({ resolution: 10 });
  try {
    lag.enable();
    const started = performance.now();
    await t.upload('bombs/bomb.pdf', bytes);
    const bomb = await t.waitForRecord('bombs/bomb.pdf', { timeoutMs: 90_000 });
    const ms = Math.round(performance.now() - started);
    lag.disable();
    await t.upload('ordinary/invoice.pdf', invoice);
    const after = await t.waitForRecord('ordinary/invoice.pdf', { timeoutMs: 60_000 });
    return { bomb, after, maxLagMs: Math.round(lag.max / 1e6), ms };
  } finally {
    lag.disable();
    await t.stop();
  }
}

describe('render isolation', () => {
  afterAll(closeRenderPools);

  it('refuses a 50,000-stroke page by its operator count before drawing it', async () => {
    const run = await bombThenInvoice(await strokeBomb(50_000), {});
    console.info('stroke bomb, operator bound:', { ms: run.ms, maxLagMs: run.maxLagMs });
    expect(run.bomb.status).toBe('failed');
    expect(run.bomb.error).toMatchObject({
      code: 'document_too_complex',
      retryable: false,
      details: { exceeded: 'drawing operators on a page', value: 100_002, limit: 50_000, setting: 'MAX_PDF_PAGE_OPERATORS', page: 1 },
    });
    expect(run.maxLagMs).toBeLessThan(MAX_LOOP_LAG_MS);
    expect(run.after.status).toBe('succeeded');
  });

  it('stops a page that draws past RENDER_TIMEOUT_MS, replaces the child, and goes on', async () => {
    const run = await bombThenInvoice(await strokeBomb(200_000), { MAX_PDF_PAGE_OPERATORS: '10000000', RENDER_TIMEOUT_MS: '3000' });
    console.info('stroke bomb, render deadline:', { ms: run.ms, maxLagMs: run.maxLagMs });
    expect(run.bomb.error).toMatchObject({
      code: 'document_too_complex',
      retryable: false,
      details: { exceeded: 'render time', limit: 3000, setting: 'RENDER_TIMEOUT_MS', page: 1 },
    });
    expect(run.maxLagMs).toBeLessThan(MAX_LOOP_LAG_MS);
    expect(run.after.status).toBe('succeeded');
  });

  it('refuses a page of two 6000 x 6000 images by their pixels before decoding them', async () => {
    const bytes = await imageBomb(2, 6000);
    expect(bytes.length).toBeLessThan(8 * 1024);
    const run = await bombThenInvoice(bytes, {});
    expect(run.bomb.error).toMatchObject({
      code: 'document_too_complex',
      details: { exceeded: 'image pixels on a page', value: 72_000_000, limit: 40_000_000, setting: 'MAX_PDF_PAGE_IMAGE_PIXELS' },
    });
    expect(run.after.status).toBe('succeeded');
  });

  it('kills a child that outgrows RENDER_MAX_MEMORY_MB (render_failed), and the next PDF succeeds', async () => {
    const run = await bombThenInvoice(await imageBomb(4, 6000), {
      MAX_PDF_PAGE_IMAGE_PIXELS: '1000000000',
      MAX_PDF_IMAGE_PIXELS: '1000000000',
      RENDER_MAX_MEMORY_MB: '400',
    });
    console.info('image bomb, memory cap:', { ms: run.ms, maxLagMs: run.maxLagMs, details: run.bomb.error?.details });
    expect(run.bomb.error).toMatchObject({
      code: 'render_failed',
      retryable: false,
      details: { reason: 'out_of_memory', maxMemoryMb: 400, page: 1 },
    });
    expect(run.maxLagMs).toBeLessThan(MAX_LOOP_LAG_MS);
    expect(run.after.status).toBe('succeeded');
  });

  it('draws real multi-page PDFs 8 at a time under forced GCs without a crash', async () => {
    const script = new URL('./support/concurrentRenders.ts', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', script, '8', '1'], {
      timeout: 170_000,
    });
    // 8 documents of 1, 2 and 1 pages at once; then 30 bursts of 8 unheld encodes (3 of 3 runs segfaulted on 0.1.100).
    expect(JSON.parse(stdout.trim())).toEqual({ concurrency: 8, rounds: 1, pages: 11, encodes: 240 });
  });
});
