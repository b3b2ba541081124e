/**
 * The recent queue depths one host sampled, so a freshly opened ops page draws the recent past at once.
 * Bounded: a host left running for days holds the same few kilobytes.
 */

export interface DepthSample {
  /** ISO 8601. */
  at: string;
  jobs: number;
  poison: number;
}

export class DepthHistory {
  private readonly kept: DepthSample[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`depth history: expected a capacity of at least 1 sample, got ${capacity}`);
  }

  add(sample: DepthSample): void {
    this.kept.push(sample);
    if (this.kept.length > this.capacity) this.kept.splice(0, this.kept.length - this.capacity);
  }

  /** Oldest first; a copy, so a reader cannot change what the host keeps. */
  samples(): DepthSample[] {
    return [...this.kept];
  }
}
