/**
 * Results per minute over the recent past: the rate a user watching a burst recognises, which the hour's
 * average dilutes (25 files/min for 2 minutes averages 0.8/min over the hour).
 */

/** The trailing span the rate is taken over at most. */
export const THROUGHPUT_WINDOW_SECONDS = 300;
/** The span it is taken over at least: just after the first result, one result would read as a huge rate. */
export const THROUGHPUT_MIN_SECONDS = 30;

export interface Throughput {
  /** The rate is over the last windowSeconds: since the first result of the trailing 5 minutes, 30 s to 300 s. */
  windowSeconds: number;
  /** Results written in those seconds. */
  results: number;
  perMinute: number;
}

/** `times`: when each result was written; those after `now` (clock skew) or before the window are left out. */
export function recentThroughput(
  times: readonly Date[],
  now: Date,
  windowSeconds = THROUGHPUT_WINDOW_SECONDS,
  minSeconds = THROUGHPUT_MIN_SECONDS,
): Throughput {
  const ages = times.map((time) => (now.getTime() - time.getTime()) / 1000).filter((age) => age >= 0 && age <= windowSeconds);
  if (ages.length === 0) return { windowSeconds, results: 0, perMinute: 0 };
  // Rounded up, so the first result still lies inside the span the label names.
  const span = Math.min(windowSeconds, Math.max(minSeconds, Math.ceil(ages.reduce((oldest, age) => Math.max(oldest, age), 0))));
  return { windowSeconds: span, results: ages.length, perMinute: Math.round((ages.length / (span / 60)) * 100) / 100 };
}
