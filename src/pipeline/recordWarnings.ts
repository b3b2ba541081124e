/**
 * A record's warnings, each said once, in the order first said: a provider and the profile's checks can
 * report the same disagreement (the offline readers run the invoice and receipt checks themselves).
 */
export function recordWarnings(...sources: readonly (readonly string[])[]): string[] {
  return [...new Set(sources.flat())];
}
