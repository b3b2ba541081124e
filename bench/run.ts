/**
 * `npm run bench [-- --files N --tpm T]`: the worker at its model quota, against the naive way, in one
 * run. Both face a fresh load simulator with the same quota (Azure OpenAI's rules: estimated max tokens
 * charged on arrival, TPM and RPM over 10 s windows, 429 with retry-after) and the same files:
 *
 * - worker: the files are uploaded to Azurite and go through the local host (BlobCreated events, jobs queue,
 *   host.json's batches, prepare, rate-limited model call, result), in a process of its own;
 * - baseline: bench/baseline.ts sends every file at once, original bytes at detail high, no limiter.
 *
 * Prints one table (stdout; progress goes to stderr) and writes it as JSON to bench/out/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, type as osType, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { startAzurite } from '../src/local/azurite.js';
import { prepareUpload } from '../src/pipeline/uploadedImage.js';
import type { SourceInfo } from '../src/contracts/resultRecord.js';
import { builtInProfiles } from '../src/profiles/index.js';
import { createStorageClients } from '../src/storage/clients.js';
import { ResultStore } from '../src/storage/resultStore.js';
import { resultPath } from '../src/contracts/blobPaths.js';
import { startLoadSimulator, type LoadSimulator, type SimulatorCounters } from '../test/support/loadSimulator.js';
import type { BaselineOutcome, BaselineReport, BaselineStart } from './baseline.js';
import { BENCH_PROFILE_RULES, OUT_DIR, baseImages, benchFiles, type BenchFile, type Kind } from './images.js';
import { idealAdmissionSpanMs } from './idealClient.js';
import { BENCH_MODELS, DEFAULT_BENCH_MODEL, type BenchModel } from './models.js';
import type { WorkerReport } from './worker.js';

const USAGE = `Usage: npm run bench -- [--files N] [--tpm TOKENS_PER_MINUTE] [--model ${Object.keys(BENCH_MODELS).join('|')}]

Uploads N generated files (default 300: 12 MP photos, A4 scans, screenshots) through the worker on
Azurite against a load simulator standing in for a deployment of the model (default ${DEFAULT_BENCH_MODEL}) with
the given quota (default 300000 TPM, the model's RPM per 1000 TPM, 10 s windows), then sends the same
files the naive way against a fresh simulator, and prints one table.`;

const WINDOW_MS = 10_000;
const SEED = 42;
const UPLOAD_CONCURRENCY = 8;
/** The worker phase gives up after this long (the whole bench must stay under 10 minutes). */
const WORKER_DEADLINE_MS = 6 * 60_000;
const POLL_MS = 1_000;
const PROFILE_OF: Record<Kind, string> = { photo: 'describe', scan: 'form', screenshot: 'describe' };
const HERE = fileURLToPath(new URL('.', import.meta.url));

const log = (message: string): void => void process.stderr.write(`[bench] ${message}\n`);

interface Row {
  files: number;
  succeeded: number;
  failedOrPoisoned: number;
  spanSeconds: number;
  filesPerMinute: number;
  /** Steady state: min(TPM / tokens per file, RPM / requests per file). */
  quotaBoundFilesPerMinute: number;
  /** filesPerMinute / quotaBoundFilesPerMinute. */
  shareOfQuotaBound: number;
  /** The most files the quota could have admitted in the span: a full window at the start, then TPM/RPM. */
  quotaBoundFilesInSpan: number;
  /** succeeded / quotaBoundFilesInSpan: a short run cannot exceed it by spending the first window at once. */
  shareOfSpan: number;
  /** First to last admitted model request, and the same for the ideal client (bench/idealClient.ts). */
  admissionSpanSeconds: number;
  idealAdmissionSpanSeconds: number;
  /** idealAdmissionSpanSeconds / admissionSpanSeconds: how close the sending came to the quota's own ceiling. */
  shareOfIdealClient: number;
  requests: number;
  rateLimited: number;
  rateLimitedShare: number;
  p50Seconds: number;
  p95Seconds: number;
  bytesToModelPerFile: number;
  imageTokensPerFile: number;
  /** Billed completion tokens per answered request, and the reasoning part of them. */
  completionTokensPerRequest: number;
  reasoningTokensPerRequest: number;
  tokensChargedPerFile: number;
  preparationCpuMsPerFile: number;
  peakRssMiB: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

function cpuMs(task: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  return task().then(() => {
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000;
  });
}

const EMPTY_SOURCE = (): SourceInfo => ({
  container: '',
  blob: '',
  etag: '',
  size: null,
  sha256: null,
  mime: null,
  width: null,
  height: null,
  lastModified: null,
});

/**
 * CPU per file of what each side does to a file before its model call, measured one file at a time so
 * that the process's CPU time is the file's: the worker's detection, decode, resize and encode
 * (prepareUpload, as its profile asks); the baseline's base64 data URL and JSON body.
 */
async function preparationCpu(
  bases: Record<Kind, Buffer[]>,
  model: string,
): Promise<{ worker: Record<Kind, number>; baseline: Record<Kind, number> }> {
  const worker = {} as Record<Kind, number>;
  const baseline = {} as Record<Kind, number>;
  for (const kind of Object.keys(bases) as Kind[]) {
    const profile = builtInProfiles.get(PROFILE_OF[kind]);
    if (profile === undefined) throw new Error(`no built-in profile ${PROFILE_OF[kind]}`);
    const options = {
      model,
      detail: profile.detail,
      format: profile.prepare.format,
      maxInputPixels: 100_000_000,
      render: loadConfig({}).documents.render,
    };
    const images = bases[kind];
    // The first call loads libvips' codecs: not a per-file cost.
    await prepareUpload('warm-up', images[0] ?? Buffer.alloc(0), EMPTY_SOURCE(), options);
    let workerTotal = 0;
    let baselineTotal = 0;
    for (const bytes of images) {
      workerTotal += await cpuMs(() => prepareUpload('bench', bytes, EMPTY_SOURCE(), options));
      baselineTotal += await cpuMs(async () =>
        JSON.stringify({
          messages: [
            {
              role: 'user',
              content: [{ type: 'image_url', image_url: { url: `data:image/jpeg;base64,${bytes.toString('base64')}`, detail: 'high' } }],
            },
          ],
        }),
      );
    }
    worker[kind] = workerTotal / images.length;
    baseline[kind] = baselineTotal / images.length;
  }
  return { worker, baseline };
}

const meanOver = (files: BenchFile[], perKind: Record<Kind, number>): number =>
  files.reduce((sum, file) => sum + perKind[file.kind], 0) / files.length;

function childProcess(script: string, env: NodeJS.ProcessEnv, logName: string): ChildProcess {
  const out = openSync(join(OUT_DIR, logName), 'w');
  return spawn(process.execPath, ['--import', 'tsx', join(HERE, script)], { env, stdio: ['ignore', out, out, 'ipc'] });
}

function nextMessage<T>(child: ChildProcess, type: string, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type?: string }): void => {
      if (message.type !== type) return;
      child.off('exit', onExit);
      child.off('message', onMessage);
      resolve(message as T);
    };
    const onExit = (code: number | null): void => reject(new Error(`${what} exited (code ${code}) before "${type}"; see bench/out/*.log`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Runs `task` over `items`, at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let index = next++; index < items.length; index = next++) await task(items[index] as T);
    }),
  );
}

function quotaBound(sim: LoadSimulator, counters: SimulatorCounters, succeeded: number, spanMs: number) {
  const tokensPerFile = succeeded === 0 ? Number.NaN : counters.tokensCharged / succeeded;
  const requestsPerFile = succeeded === 0 ? Number.NaN : counters.succeeded / succeeded;
  const minutes = spanMs / 60_000;
  return {
    tokensPerFile,
    perMinute: Math.min(sim.tokensPerMinute / tokensPerFile, sim.requestsPerMinute / requestsPerFile),
    inSpan: Math.min(
      (sim.tokenCapacity + sim.tokensPerMinute * minutes) / tokensPerFile,
      (sim.requestCapacity + sim.requestsPerMinute * minutes) / requestsPerFile,
    ),
  };
}

function rowOf(
  sim: LoadSimulator,
  counters: SimulatorCounters,
  files: number,
  succeeded: number,
  spanMs: number,
  latenciesMs: number[],
  preparationCpuMsPerFile: number,
  peakRssBytes: number,
): Row {
  const bound = quotaBound(sim, counters, succeeded, spanMs);
  const admissionSpanMs = (sim.admissions.at(-1)?.at ?? 0) - (sim.admissions[0]?.at ?? 0);
  const idealSpanMs = idealAdmissionSpanMs(
    sim.admissions.map((admission) => admission.tokens),
    { windowMs: sim.windowMs, tokenCapacity: sim.tokenCapacity, requestCapacity: sim.requestCapacity },
  );
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return {
    files,
    succeeded,
    failedOrPoisoned: files - succeeded,
    spanSeconds: spanMs / 1000,
    filesPerMinute: succeeded / (spanMs / 60_000),
    quotaBoundFilesPerMinute: bound.perMinute,
    shareOfQuotaBound: succeeded / (spanMs / 60_000) / bound.perMinute,
    quotaBoundFilesInSpan: bound.inSpan,
    shareOfSpan: succeeded / bound.inSpan,
    admissionSpanSeconds: admissionSpanMs / 1000,
    idealAdmissionSpanSeconds: idealSpanMs / 1000,
    shareOfIdealClient: admissionSpanMs === 0 ? Number.NaN : idealSpanMs / admissionSpanMs,
    requests: counters.requests,
    rateLimited: counters.rateLimited,
    rateLimitedShare: counters.requests === 0 ? 0 : counters.rateLimited / counters.requests,
    p50Seconds: percentile(sorted, 50) / 1000,
    p95Seconds: percentile(sorted, 95) / 1000,
    bytesToModelPerFile: counters.bytesReceived / files,
    imageTokensPerFile: counters.succeeded === 0 ? Number.NaN : counters.imageTokens / counters.succeeded,
    completionTokensPerRequest: counters.succeeded === 0 ? Number.NaN : counters.completionTokens / counters.succeeded,
    reasoningTokensPerRequest: counters.succeeded === 0 ? Number.NaN : counters.reasoningTokens / counters.succeeded,
    tokensChargedPerFile: bound.tokensPerFile,
    preparationCpuMsPerFile,
    peakRssMiB: peakRssBytes / 1024 / 1024,
  };
}

const simulatorFor = (model: BenchModel, tpm: number): Promise<LoadSimulator> =>
  startLoadSimulator({
    tokensPerMinute: tpm,
    windowMs: WINDOW_MS,
    latency: model.latency,
    seed: SEED,
    model: model.served,
    rpmPer1000Tpm: model.rpmPer1000Tpm,
  });

async function runWorker(connectionString: string, set: BenchFile[], model: BenchModel, tpm: number, prepCpu: number): Promise<Row> {
  const sim = await simulatorFor(model, tpm);
  const id = randomBytes(3).toString('hex');
  const names = { input: `bench-up-${id}`, results: `bench-res-${id}`, jobs: `bench-jobs-${id}`, state: `bench-state-${id}` };
  const child = childProcess(
    'worker.ts',
    {
      ...process.env,
      DataStorage: connectionString,
      INPUT_CONTAINER: names.input,
      RESULTS_CONTAINER: names.results,
      JOBS_QUEUE: names.jobs,
      STATE_CONTAINER: names.state,
      VISION_PROVIDER: 'openai',
      AZURE_OPENAI_ENDPOINT: sim.url,
      AZURE_OPENAI_API_KEY: 'bench',
      AZURE_OPENAI_DEPLOYMENT: model.name,
      VISION_MODEL: model.name,
      MODEL_TPM: String(tpm),
      MODEL_RATE_WINDOW_SECONDS: String(WINDOW_MS / 1000),
      PROFILE_RULES: BENCH_PROFILE_RULES,
      LOG_LEVEL: 'info',
      // As infra/main.bicep sets it for the function app: see docs/scaling.md.
      MALLOC_ARENA_MAX: '2',
    },
    'worker.log',
  );
  try {
    await nextMessage(child, 'ready', 'the worker');
    const storage = createStorageClients({ kind: 'connectionString', connectionString, setting: 'DataStorage' });
    const input = storage.blobs.getContainerClient(names.input);
    const resultsContainer = storage.blobs.getContainerClient(names.results);
    const uploadedAt = new Map<string, number>();
    const started = Date.now();
    log(`worker: uploading ${set.length} files to Azurite, ${UPLOAD_CONCURRENCY} at a time`);
    await pool(set, UPLOAD_CONCURRENCY, async (file) => {
      const bytes = file.bytes();
      await input.getBlockBlobClient(file.name).upload(bytes, bytes.length);
      uploadedAt.set(file.name, Date.now());
    });
    log(`worker: uploaded in ${((Date.now() - started) / 1000).toFixed(1)} s; waiting for results`);
    const expected = new Set(set.map((file) => resultPath(file.name)));
    let done = 0;
    for (let waited = 0; done < set.length && waited < WORKER_DEADLINE_MS; waited += POLL_MS) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      let count = 0;
      for await (const blob of resultsContainer.listBlobsFlat()) if (expected.has(blob.name)) count += 1;
      if (count !== done && (count === set.length || Math.floor(count / 50) > Math.floor(done / 50))) log(`worker: ${count} results`);
      done = count;
    }
    const results = new ResultStore(resultsContainer);
    const records = await Promise.all(set.map(async (file) => ({ file, record: await results.read(resultPath(file.name)) })));
    const succeeded = records.filter(({ record }) => record?.status === 'succeeded');
    const failures = records
      .filter(({ record }) => record?.status !== 'succeeded')
      .map(({ file, record }) => `${file.name}: ${record?.error?.code ?? 'no record'}`);
    if (failures.length > 0) log(`worker: not succeeded: ${failures.slice(0, 5).join('; ')}${failures.length > 5 ? ' ...' : ''}`);
    const finishedAt = Math.max(...records.map(({ record }) => (record === undefined ? 0 : Date.parse(record.createdAt))));
    const latencies = succeeded.map(({ file, record }) => Date.parse(record?.createdAt ?? '') - (uploadedAt.get(file.name) ?? started));
    child.send({ type: 'stop' });
    const report = await nextMessage<WorkerReport>(child, 'stopped', 'the worker');
    const counters = sim.counters();
    log(`worker: ${counters.requests} model requests, ${counters.rateLimited} answered 429`);
    return rowOf(sim, counters, set.length, succeeded.length, finishedAt - started, latencies, prepCpu, report.peakRssBytes);
  } finally {
    if (child.exitCode === null) child.kill();
    await sim.close();
  }
}

async function runBaseline(files: number, model: BenchModel, tpm: number, prepCpu: number): Promise<Row> {
  const sim = await simulatorFor(model, tpm);
  const child = childProcess('baseline.ts', process.env, 'baseline.log');
  try {
    log(`baseline: ${files} requests at once`);
    const start: BaselineStart = { type: 'start', endpoint: sim.url, files, model: model.name, shape: model.shape };
    child.send(start);
    const report = await nextMessage<BaselineReport>(child, 'done', 'the baseline');
    const ok = report.outcomes.filter((outcome: BaselineOutcome) => outcome.ok);
    const failed = report.outcomes.filter((outcome) => !outcome.ok);
    if (failed.length > 0) log(`baseline: ${failed.length} failed, e.g. ${failed[0]?.error ?? ''}`);
    const span = Math.max(...report.outcomes.map((outcome) => outcome.doneMs));
    const counters = sim.counters();
    log(`baseline: ${counters.requests} model requests, ${counters.rateLimited} answered 429`);
    return rowOf(
      sim,
      counters,
      files,
      ok.length,
      span,
      ok.map((outcome) => outcome.doneMs),
      prepCpu,
      report.peakRssBytes,
    );
  } finally {
    if (child.exitCode === null) child.kill();
    await sim.close();
  }
}

const fixed = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : '-');
const percent = (value: number): string => (Number.isFinite(value) ? `${(value * 100).toFixed(1)}%` : '-');
const bytes = (value: number): string =>
  value >= 1024 * 1024 ? `${(value / 1024 / 1024).toFixed(2)} MiB` : `${(value / 1024).toFixed(0)} KiB`;

function table(worker: Row, baseline: Row): string {
  const lines: [string, (row: Row) => string][] = [
    ['files/minute', (r) => fixed(r.filesPerMinute)],
    ['quota-bound maximum, files/minute', (r) => fixed(r.quotaBoundFilesPerMinute)],
    ['share of the quota-bound maximum', (r) => percent(r.shareOfQuotaBound)],
    ['share of what the quota admits in the span', (r) => `${percent(r.shareOfSpan)} of ${fixed(r.quotaBoundFilesInSpan, 0)}`],
    [
      'requests sent: ideal client span / own span',
      (r) => `${percent(r.shareOfIdealClient)} (${fixed(r.idealAdmissionSpanSeconds)} / ${fixed(r.admissionSpanSeconds)} s)`,
    ],
    ['model requests answered 429', (r) => `${r.rateLimited} of ${r.requests} (${percent(r.rateLimitedShare)})`],
    ['files failed or poisoned', (r) => `${r.failedOrPoisoned} of ${r.files}`],
    ['upload -> result p50 / p95', (r) => `${fixed(r.p50Seconds)} / ${fixed(r.p95Seconds)} s`],
    ['bytes sent to the model per file', (r) => bytes(r.bytesToModelPerFile)],
    ['image tokens per file', (r) => fixed(r.imageTokensPerFile, 0)],
    [
      'completion tokens per request (reasoning)',
      (r) => `${fixed(r.completionTokensPerRequest, 0)} (${fixed(r.reasoningTokensPerRequest, 0)})`,
    ],
    ['tokens charged per file', (r) => fixed(r.tokensChargedPerFile, 0)],
    ['preparation CPU per file', (r) => `${fixed(r.preparationCpuMsPerFile)} ms`],
    ['peak RSS', (r) => `${fixed(r.peakRssMiB, 0)} MiB`],
  ];
  const width = Math.max(...lines.map(([label]) => label.length));
  const cells = lines.map(([label, cell]) => [label, cell(worker), cell(baseline)] as const);
  const column = Math.max(...cells.map(([, w]) => w.length), 'worker'.length);
  const head = `${''.padEnd(width)}  ${'worker'.padStart(column)}  naive baseline`;
  return [head, ...cells.map(([label, w, b]) => `${label.padEnd(width)}  ${w.padStart(column)}  ${b}`)].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      files: { type: 'string', default: '300' },
      tpm: { type: 'string', default: '300000' },
      model: { type: 'string', default: DEFAULT_BENCH_MODEL },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const files = Number(values.files);
  const tpm = Number(values.tpm);
  if (!Number.isInteger(files) || files < 3 || !Number.isInteger(tpm) || tpm < 1_000) {
    console.error(`expected --files >= 3 and --tpm >= 1000, got ${values.files} and ${values.tpm}\n\n${USAGE}`);
    process.exit(2);
  }
  const model = BENCH_MODELS[values.model];
  if (model === undefined) {
    console.error(`expected --model ${Object.keys(BENCH_MODELS).join(' or ')}, got ${values.model}\n\n${USAGE}`);
    process.exit(2);
  }
  const began = Date.now();
  mkdirSync(OUT_DIR, { recursive: true });
  log('rendering or reading the base images (bench/out/images)');
  const bases = await baseImages();
  const set = benchFiles(bases, files);
  log('measuring preparation CPU, one file at a time');
  const prep = await preparationCpu(bases, model.name);
  const azurite = await startAzurite();
  let worker: Row;
  let baseline: Row;
  try {
    worker = await runWorker(azurite.connectionString, set, model, tpm, meanOver(set, prep.worker));
    baseline = await runBaseline(files, model, tpm, meanOver(set, prep.baseline));
  } finally {
    await azurite.stop();
  }
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const machine = `${cpus().length} x ${cpu}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, ${osType()} ${release()}, Node ${process.version}`;
  const rpm = Math.floor((tpm * model.rpmPer1000Tpm) / 1000);
  const header = [
    `blob-vision-worker bench, ${new Date().toISOString()} (${((Date.now() - began) / 1000).toFixed(0)} s)`,
    `machine: ${machine}`,
    `files: ${files} (12 MP photos, A4 scans at 300 dpi, 1920x1080 screenshots; ${BENCH_PROFILE_RULES})`,
    `model: ${model.name} (simulated as ${model.served}, ${model.shape} request shape; latency assumed ${model.latency.baseMs} ms + ${model.latency.perOutputTokenMs} ms/output token, reasoning included, +-${model.latency.jitter * 100}%)`,
    `quota: ${tpm} TPM, ${rpm} RPM (${model.rpmPer1000Tpm} per 1000 TPM) over ${WINDOW_MS / 1000} s windows`,
    `12 MP JPEG preparation (describe, low detail): ${fixed(prep.worker.photo)} ms CPU`,
    '',
  ];
  const text = [...header, table(worker, baseline)].join('\n');
  console.log(text);
  const json = {
    at: new Date().toISOString(),
    machine,
    files,
    model: model.name,
    tpm,
    rpm,
    windowSeconds: WINDOW_MS / 1000,
    latency: model.latency,
    preparationCpuMs: prep,
    worker,
    baseline,
    table: text,
  };
  const path = join(OUT_DIR, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(OUT_DIR, 'bench-latest.json'), `${JSON.stringify(json, null, 2)}\n`);
  log(`wrote ${path}`);
}

await main();
