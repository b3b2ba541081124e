/**
 * The quota's own ceiling for a run: the same charges, in the order the simulator admitted them, sent by
 * a client that always has the next request ready and sends it the instant the sliding window (the
 * simulator's rule) has room. A window holds whole requests only, so with charges of several thousand
 * tokens this ceiling is a few percent below TPM / tokens per file.
 */
export interface WindowRule {
  windowMs: number;
  tokenCapacity: number;
  requestCapacity: number;
}

/** Milliseconds from the first admission to the last, for the ideal client. */
export function idealAdmissionSpanMs(charges: readonly number[], rule: WindowRule): number {
  const admitted: { at: number; tokens: number }[] = [];
  let head = 0;
  let used = 0;
  let now = 0;
  for (const charge of charges) {
    for (;;) {
      while (head < admitted.length && (admitted[head]?.at ?? 0) <= now - rule.windowMs) {
        used -= admitted[head]?.tokens ?? 0;
        head += 1;
      }
      const inWindow = admitted.length - head;
      // As the simulator: an empty window admits any request.
      if (inWindow === 0 || (used + charge <= rule.tokenCapacity && inWindow + 1 <= rule.requestCapacity)) break;
      now = (admitted[head]?.at ?? now) + rule.windowMs;
    }
    admitted.push({ at: now, tokens: charge });
    used += charge;
  }
  return admitted.at(-1)?.at ?? 0;
}
