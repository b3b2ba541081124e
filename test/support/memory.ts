/**
 * For tests that show a large upload is never held: zeros produced as they are sent, and the resident
 * set of this process (which runs the local host) sampled for its peak over a baseline.
 */
import { Readable } from 'node:stream';

export const MiB = 2 ** 20;

const CHUNK = Buffer.alloc(4 * MiB);

/** `bytes` zeros, produced as they are read: the sender holds one shared chunk, never the upload. */
export function zeroStream(bytes: number): Readable {
  let left = bytes;
  return new Readable({
    read() {
      const size = Math.min(left, CHUNK.length);
      left -= size;
      this.push(size === 0 ? null : CHUNK.subarray(0, size));
    },
  });
}

export interface RssSampler {
  /** RSS in bytes when sampling started. */
  readonly baseline: number;
  /** Stops sampling and returns the largest RSS seen above the baseline, in bytes (0 if it never rose). */
  stop(): number;
}

/** Samples every `everyMs` (10 ms by default): a short-lived buffer of tens of MB stays visible. */
export function sampleRss(everyMs = 10): RssSampler {
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sample = (): void => {
    peak = Math.max(peak, process.memoryUsage.rss());
  };
  const timer = setInterval(sample, everyMs);
  return {
    baseline,
    stop() {
      clearInterval(timer);
      sample();
      return peak - baseline;
    },
  };
}
