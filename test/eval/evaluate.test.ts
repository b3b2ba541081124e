/**
 * `npm run eval -- --set DIR` end to end: a small labelled set (generated documents, one of them labelled
 * wrong on purpose, one file without a label) through evaluate(), which run.ts calls: the worker's own
 * Azurite, local host and offline provider, then the scores.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate, type Evaluation } from '../../eval/evaluate.js';
import { generateSample, samplePath } from '../../eval/generate.js';
import { EXPECTED_SUFFIX } from '../../eval/labelledSet.js';
import { formatReports, type ConfigurationReport } from '../../eval/report.js';

const WRONG_MERCHANT = 'Nobody Sells Here Ltd';

describe('evaluate a labelled set through the worker', () => {
  let dir: string;
  let evaluation: Evaluation;
  let report: ConfigurationReport;

  const put = async (name: string, content: Buffer | string): Promise<void> => {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  };
  const label = (name: string, expected: object): Promise<void> => put(`${name}${EXPECTED_SUFFIX}`, JSON.stringify(expected));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eval-set-'));
    // Seed 1: document 0 is a clean invoice, document 4 a clean receipt.
    const invoice = await generateSample(1, 0);
    const receipt = await generateSample(1, 4);
    if (invoice.sample.profile !== 'invoice' || receipt.sample.profile !== 'receipt') throw new Error('unexpected sample kinds');
    const invoiceName = samplePath(invoice.sample);
    const receiptName = samplePath(receipt.sample);
    const truth = invoice.sample.expected;
    await put(invoiceName, invoice.bytes);
    await label(invoiceName, { vendor: truth.vendor, invoice_number: truth.invoice_number, date: truth.date, total: truth.total });
    await put(receiptName, receipt.bytes);
    await label(receiptName, { merchant: receipt.sample.expected.merchant, total: receipt.sample.expected.total });
    // The same receipt under another name, its merchant labelled wrong.
    await put('receipts/clean/wrong-label.png', receipt.bytes);
    await label('receipts/clean/wrong-label.png', { merchant: WRONG_MERCHANT, total: receipt.sample.expected.total });
    await put('receipts/notes.txt', 'not labelled');

    evaluation = await evaluate({
      dir,
      configurations: [{ label: 'offline', settings: { VISION_PROVIDER: 'offline', RESULT_CACHE: 'off', LOG_LEVEL: 'warn' } }],
      concurrency: 1,
      warmUp: false,
      logDir: dir,
      stallMs: 50_000,
    });
    const [only] = evaluation.configurations;
    if (only === undefined) throw new Error('no report');
    report = only;
  }, 90_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('scores every labelled file, and lists the one without a label', () => {
    expect(evaluation.files).toBe(3);
    expect(evaluation.unlabelled).toEqual(['receipts/notes.txt']);
    expect(report.failed).toBe(0);
    expect(report.provider).toBe('offline');
    expect(report.files.map((score) => [score.file, score.profile, score.status])).toEqual([
      ['invoices/clean/0000-invoice-clean.png', 'invoice', 'succeeded'],
      ['receipts/clean/0004-receipt-clean.png', 'receipt', 'succeeded'],
      ['receipts/clean/wrong-label.png', 'receipt', 'succeeded'],
    ]);
  });

  it('counts each labelled field once per file, per field and per folder', () => {
    const totals = Object.fromEntries(Object.entries(report.fields).map(([key, cell]) => [key, cell.total]));
    expect(totals).toEqual({
      'invoice.vendor': 1,
      'invoice.invoice_number': 1,
      'invoice.date': 1,
      'invoice.total': 1,
      'receipt.merchant': 2,
      'receipt.total': 2,
    });
    expect(Object.keys(report.folders).sort()).toEqual(['invoices/clean', 'receipts/clean']);
    const hits = Object.values(report.fields).reduce((sum, cell) => sum + cell.hits, 0);
    const misses = report.files.flatMap((score) => score.fields.filter((outcome) => !outcome.ok));
    expect(hits + misses.length).toBe(8);
    // Clean generated pages: the reader gets most fields; a scorer that matched nothing would be broken.
    expect(hits).toBeGreaterThan(0);
    expect(report.time.meanMs).toBeGreaterThan(0);
    expect(report.time.p95Ms).toBeGreaterThanOrEqual(report.time.meanMs);
  });

  it('reports a wrong label as a miss, with what the worker read', () => {
    const right = report.files.find((score) => score.file === 'receipts/clean/0004-receipt-clean.png');
    const wrong = report.files.find((score) => score.file === 'receipts/clean/wrong-label.png');
    const wrongMerchant = wrong?.fields.find((outcome) => outcome.field === 'merchant');
    const rightMerchant = right?.fields.find((outcome) => outcome.field === 'merchant');
    expect(wrongMerchant).toMatchObject({ ok: false, wanted: WRONG_MERCHANT });
    // The same bytes are read the same way: only the label differs.
    expect(wrongMerchant?.got).toEqual(rightMerchant?.got);
    expect(report.fields['receipt.merchant']?.hits).toBe(rightMerchant?.ok === true ? 1 : 0);
    expect(formatReports(evaluation.configurations)).toContain(
      `  receipts/clean/wrong-label.png merchant: got ${JSON.stringify(wrongMerchant?.got)}, wanted "${WRONG_MERCHANT}"`,
    );
  });
});

describe('evaluate checks every configuration before running any', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eval-check-'));
    await mkdir(join(dir, 'receipts'));
    await writeFile(join(dir, 'receipts', 'a.png'), 'not run');
    await writeFile(join(dir, 'receipts', `a.png${EXPECTED_SUFFIX}`), JSON.stringify({ merchant: 'Cafe', tip: 1 }));
    await writeFile(
      join(dir, 'profiles.yaml'),
      [
        'rules: [{ prefix: receipts/, profile: receipt-detail }]',
        'profiles:',
        '  receipt-detail:',
        '    system: Read receipts.',
        '    user: Extract the merchant and the total.',
        '    detail: low',
        '    schema:',
        '      type: object',
        '      additionalProperties: false',
        '      required: [merchant, total]',
        "      properties: { merchant: { type: [string, 'null'] }, total: { type: [number, 'null'] } }",
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const base = { concurrency: 1, warmUp: false, stallMs: 1000 };

  it("checks the labels against each configuration's own profiles, and runs none when one does not fit", async () => {
    const started: string[] = [];
    await expect(
      evaluate({
        ...base,
        dir,
        logDir: dir,
        configurations: [
          { label: 'built-in receipt', settings: { VISION_PROVIDER: 'offline' } },
          { label: 'profile file', settings: { VISION_PROVIDER: 'offline', PROFILES_FILE: join(dir, 'profiles.yaml') } },
        ],
        onStart: (configuration) => started.push(configuration.label),
      }),
    ).rejects.toThrow('receipts/a.png.expected.json: "tip" not a field of profile "receipt-detail" (its fields: merchant, total)');
    expect(started).toEqual([]);
  });

  it('refuses --steps for a configuration with a model endpoint', async () => {
    await expect(
      evaluate({
        ...base,
        dir,
        logDir: dir,
        steps: { deskew: false },
        configurations: [{ label: 'model', settings: { OPENAI_API_KEY: 'sk-test' } }],
      }),
    ).rejects.toThrow(/--steps: the preparation steps are the offline reader's; "model" has a model endpoint/);
  });

  it('refuses a filter that leaves no file', async () => {
    await expect(
      evaluate({
        ...base,
        dir,
        logDir: dir,
        only: 'nothing-like-this',
        configurations: [{ label: 'x', settings: { VISION_PROVIDER: 'offline' } }],
      }),
    ).rejects.toThrow(`no labelled files in ${dir} matching "nothing-like-this"`);
  });
});
