/**
 * The messages between the worker and a render child (src/renderChild.ts), one reply per request. The
 * pool carries them without knowing the tasks: each caller types its own (documents/isolatedPdf.ts,
 * media/decodeHeic.ts), so that isolation/ depends on nothing it runs.
 */

/** `op` names a task the child answers; the other fields are its arguments. */
export type RenderRequest = { op: string } & Record<string, unknown>;

/** The child's first message: it has loaded what it draws with, and calls may start. */
export interface Ready {
  ready: true;
}

export type RenderReply =
  | { ok: true; value: unknown }
  /** `code` is set for the project's permanent errors (a corrupt PDF, a bound exceeded), which cross as they are. */
  | { ok: false; error: { message: string; code?: string; details?: Record<string, unknown> } };
