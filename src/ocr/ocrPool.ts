/**
 * A small pool of tesseract.js workers reused across jobs. A worker costs ~0.3-1 s to start and
 * ~250-330 MB, so workers start lazily, stay warm, and at most `size` exist; jobs beyond that wait in
 * line. Language data comes from the installed @tesseract.js-data/eng package: nothing is downloaded
 * and nothing is cached to disk.
 */
import { createRequire } from 'node:module';
import type { Worker as ThreadWorker } from 'node:worker_threads';
import Tesseract from 'tesseract.js';
import { TransientError } from '../errors.js';
import type { OcrLine, OcrPage, OcrWord } from './ocrPage.js';
import { meanConfidence } from './ocrPage.js';

const require = createRequire(import.meta.url);
/** The package's default data (tessdata 4.0.0) holds both the LSTM and the legacy models. */
const ENGLISH = require('@tesseract.js-data/eng') as { langPath: string };
const TESSERACT_JS_VERSION = (require('tesseract.js/package.json') as { version: string }).version;
export const OCR_ENGINE = `tesseract.js ${TESSERACT_JS_VERSION}`;

export interface OcrPoolOptions {
  /** Workers kept at most. Default 1. */
  size?: number;
  /** A job that runs longer is abandoned and its worker replaced. Default 60 s. */
  jobTimeoutMs?: number;
  /** Starting a worker that takes longer fails the job that asked for it. Default 30 s. */
  startTimeoutMs?: number;
  /** Overrides the installed English data (tests use it to prove a start failure is reported). */
  langPath?: string;
}

export interface JobOptions {
  /** Stops waiting for a free worker; a job already running is not interrupted. */
  signal?: AbortSignal;
  /** Time a session's readings may take in all, from when it has a worker (at most the pool's job timeout each). */
  timeoutMs?: number;
}

export interface RecognizeOptions {
  /** Let tesseract measure the skew of the text lines and straighten the page before reading. */
  deskew?: boolean;
}

export interface Orientation {
  /** Clockwise rotation that makes the page upright. */
  degrees: 0 | 90 | 180 | 270;
  /** Tesseract's orientation confidence (0 when it could not tell; upright pages of text score 5-25). */
  confidence: number;
}

/** OCR on one worker held for a whole page: each call is bounded by the job timeout and the worker's life. */
export interface OcrSession {
  /** Reads a prepared image (PNG bytes). */
  recognize(png: Buffer, options?: RecognizeOptions): Promise<OcrPage>;
  /**
   * Which way up the page is (tesseract's legacy-engine orientation detection from the eng data): ~0.3-0.5 s
   * for the engine switch, worth it only when a page read badly.
   */
  detectOrientation(png: Buffer): Promise<Orientation>;
}

export interface OcrPool {
  /**
   * Runs `work` on one worker taken for all its readings: a page's passes do not rejoin the back of the
   * line between readings, and what `work` decodes is decoded only once a worker is free for it.
   */
  session<T>(work: (ocr: OcrSession) => Promise<T>, options?: JobOptions): Promise<T>;
  /** Terminates every worker; later calls fail. */
  close(): Promise<void>;
}

interface Slot {
  worker: Tesseract.Worker;
  busy: boolean;
  /** Rejects when the worker thread dies, so a job in flight does not wait forever. */
  died: Promise<never>;
}

interface Waiter {
  resolve: (slot: Slot) => void;
  reject: (error: unknown) => void;
}

/**
 * One uniform block (PSM 6): automatic layout (PSM 3) dropped whole columns next to rules and tinted bands
 * on the evaluation set; the layout rules find columns from the word boxes themselves.
 */
const PAGE_SEGMENTATION = Tesseract.PSM.SINGLE_BLOCK;

/**
 * Tesseract writes its diagnostics ("Estimating resolution as 154", "Invalid resolution 25 dpi") to
 * stderr, between the worker's structured log lines; `debug_file` sends them to the null device instead.
 */
const READING_PARAMETERS = { tessedit_pageseg_mode: PAGE_SEGMENTATION, debug_file: '/dev/null' } as const;

/** Reading runs the LSTM engine; orientation detection needs the legacy one (see `detectOrientation`). */
const READING_ENGINE = Tesseract.OEM.LSTM_ONLY;
const ORIENTATION_ENGINE = Tesseract.OEM.TESSERACT_LSTM_COMBINED;

export function createOcrPool(options: OcrPoolOptions = {}): OcrPool {
  const size = options.size ?? 1;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`OCR pool size: expected a whole number >= 1, got ${size}`);
  const jobTimeoutMs = options.jobTimeoutMs ?? 60_000;
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const langPath = options.langPath ?? ENGLISH.langPath;

  const slots: Slot[] = [];
  const waiters: Waiter[] = [];
  let starting = 0;
  let closed = false;

  async function startSlot(): Promise<Slot> {
    let failStart: (error: unknown) => void = () => {};
    const startFailed = new Promise<never>((_, reject) => {
      failStart = reject;
    });
    // tesseract.js reports a failed language load only through errorHandler; its promise never settles.
    const starting = Tesseract.createWorker('eng', READING_ENGINE, {
      langPath,
      gzip: true,
      cacheMethod: 'none',
      // The legacy engine's code and data stay available for orientation detection.
      legacyCore: true,
      legacyLang: true,
      errorHandler: (error: unknown) => failStart(error),
    });
    const worker = await withTimeout(Promise.race([starting, startFailed]), startTimeoutMs, 'starting an OCR worker').catch(
      (error: unknown) => {
        void starting.then((late) => late.terminate()).catch(() => {});
        throw new TransientError('internal_error', `OCR engine could not start: ${describe(error)}`, { cause: error });
      },
    );
    failStart = () => {};
    await worker.setParameters(READING_PARAMETERS);
    const thread = (worker as unknown as { worker: ThreadWorker }).worker;
    const died = new Promise<never>((_, reject) => {
      thread.once('error', (error) =>
        reject(new TransientError('internal_error', `OCR worker crashed: ${error.message}`, { cause: error })),
      );
      thread.once('exit', (code) => reject(new TransientError('internal_error', `OCR worker exited with code ${code}`)));
    });
    died.catch(() => {});
    return { worker, busy: true, died };
  }

  function acquire(signal: AbortSignal | undefined): Promise<Slot> {
    if (closed) return Promise.reject(new TransientError('internal_error', 'OCR pool is closed'));
    const idle = slots.find((slot) => !slot.busy);
    if (idle !== undefined) {
      idle.busy = true;
      return Promise.resolve(idle);
    }
    if (slots.length + starting < size) {
      starting += 1;
      return startSlot()
        .then((slot) => {
          if (closed) {
            void slot.worker.terminate();
            throw new TransientError('internal_error', 'OCR pool is closed');
          }
          slots.push(slot);
          return slot;
        })
        .finally(() => {
          starting -= 1;
        });
    }
    return new Promise<Slot>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      waiters.push(waiter);
      signal?.addEventListener(
        'abort',
        () => {
          const index = waiters.indexOf(waiter);
          if (index < 0) return;
          waiters.splice(index, 1);
          reject(new TransientError('timeout', 'OCR was cancelled while waiting for a free worker', { cause: signal.reason }));
        },
        { once: true },
      );
    });
  }

  /** A worker that failed a job is replaced: its wasm state is not trusted after an error. */
  function release(slot: Slot, healthy: boolean): void {
    if (healthy && !closed) {
      slot.busy = false;
    } else {
      slots.splice(slots.indexOf(slot), 1);
      void slot.worker.terminate();
    }
    const next = waiters.shift();
    if (next !== undefined) acquire(undefined).then(next.resolve, next.reject);
  }

  /** A job on a held worker, bounded by the job timeout and by the worker thread's life. */
  async function onSlot<T>(slot: Slot, what: string, timeoutMs: number, job: (worker: Tesseract.Worker) => Promise<T>): Promise<T> {
    const work = job(slot.worker).catch((error: unknown) => {
      throw error instanceof TransientError
        ? error
        : new TransientError('internal_error', `OCR engine failed ${what}: ${describe(error)}`, { cause: error });
    });
    return withTimeout(Promise.race([work, slot.died]), timeoutMs, what);
  }

  const recognizeOn = (slot: Slot, timeoutMs: number, png: Buffer, recognizeOptions: RecognizeOptions): Promise<OcrPage> =>
    onSlot(slot, 'reading text', timeoutMs, async (worker) => {
      const result = await worker.recognize(png, { rotateAuto: recognizeOptions.deskew ?? false }, { text: false, tsv: true });
      return parseTsv(result.data.tsv ?? '', result.data.version);
    });

  const detectOrientationOn = (slot: Slot, timeoutMs: number, png: Buffer): Promise<Orientation> =>
    onSlot(slot, 'detecting orientation', timeoutMs, async (worker) => {
      await worker.reinitialize('eng', ORIENTATION_ENGINE);
      try {
        const { data } = await worker.detect(png);
        const degrees = data.orientation_degrees;
        return {
          degrees: degrees === 90 || degrees === 180 || degrees === 270 ? degrees : 0,
          confidence: data.orientation_confidence ?? 0,
        };
      } finally {
        // A new engine instance forgets the page segmentation mode.
        await worker.reinitialize('eng', READING_ENGINE);
        await worker.setParameters(READING_PARAMETERS);
      }
    });

  async function session<T>(work: (ocr: OcrSession) => Promise<T>, jobOptions: JobOptions = {}): Promise<T> {
    const { signal } = jobOptions;
    if (signal?.aborted === true) throw new TransientError('timeout', 'OCR was cancelled before it started', { cause: signal.reason });
    const slot = await acquire(signal);
    const deadline = performance.now() + (jobOptions.timeoutMs ?? Number.POSITIVE_INFINITY);
    const remaining = (): number => Math.max(0, Math.min(jobTimeoutMs, deadline - performance.now()));
    // Healthy unless one of its readings failed: the worker's wasm state is not trusted after an error.
    let healthy = true;
    const guarded = <R>(reading: Promise<R>): Promise<R> =>
      reading.catch((error: unknown) => {
        healthy = false;
        throw error;
      });
    try {
      return await work({
        recognize: (png, recognizeOptions = {}) => guarded(recognizeOn(slot, remaining(), png, recognizeOptions)),
        detectOrientation: (png) => guarded(detectOrientationOn(slot, remaining(), png)),
      });
    } finally {
      release(slot, healthy);
    }
  }

  async function close(): Promise<void> {
    closed = true;
    for (const waiter of waiters.splice(0)) waiter.reject(new TransientError('internal_error', 'OCR pool is closed'));
    await Promise.all(slots.splice(0).map((slot) => slot.worker.terminate()));
  }

  return { session, close };
}

async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TransientError('timeout', `OCR took longer than ${ms} ms ${what}`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** TSV columns: level, page, block, paragraph, line, word, left, top, width, height, conf, text. */
function parseTsv(tsv: string, coreVersion: string): OcrPage {
  const lines = new Map<string, OcrLine>();
  const size = { width: 0, height: 0 };
  for (const row of tsv.split('\n')) {
    const cells = row.split('\t');
    const level = cells[0];
    const [left, top, width, height, conf] = cells.slice(6, 11).map(Number) as [number, number, number, number, number];
    if (level === '1') Object.assign(size, { width, height });
    const text = cells.slice(11).join('\t').trim();
    if (level !== '5' || text === '') continue;
    const key = cells.slice(2, 5).join('.');
    const word: OcrWord = {
      text,
      confidence: Math.round(Math.min(Math.max(conf / 100, 0), 1) * 1000) / 1000,
      box: { x0: left, y0: top, x1: left + width, y1: top + height },
    };
    const line = lines.get(key);
    if (line === undefined) lines.set(key, { words: [word] });
    else line.words.push(word);
  }
  const all = [...lines.values()];
  return {
    ...size,
    lines: all,
    confidence: Math.round(meanConfidence(all.flatMap((line) => line.words)) * 1000) / 1000,
    engine: `${OCR_ENGINE} (tesseract ${coreVersion})`,
  };
}
