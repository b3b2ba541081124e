/**
 * The subject of an Event Grid Blob Storage event: `/blobServices/default/containers/<container>/blobs/<name>`.
 * Storage puts the blob's name in it as stored, not percent-encoded (only `data.url` is a URL), so the
 * name is taken verbatim: a `%20` in the subject is a `%20` in the name.
 */

const SUBJECT_START = '/blobServices/default/containers/';
const BLOBS_SEGMENT = '/blobs/';

export interface BlobOfEvent {
  container: string;
  blob: string;
}

/** The subject Event Grid gives an event about `blob` in `container`. */
export function blobSubject(container: string, blob: string): string {
  return `${blobSubjectPrefix(container)}${blob}`;
}

/** What every subject of a blob in `container` begins with: the event subscription's subject filter. */
export function blobSubjectPrefix(container: string): string {
  return `${SUBJECT_START}${container}${BLOBS_SEGMENT}`;
}

/** The container and blob a subject names; undefined when it is not the subject of a blob. */
export function blobOfSubject(subject: string): BlobOfEvent | undefined {
  if (!subject.startsWith(SUBJECT_START)) return undefined;
  const rest = subject.slice(SUBJECT_START.length);
  // Container names cannot contain '/', so the first '/blobs/' ends the container; the name may contain '/blobs/' itself.
  const at = rest.indexOf(BLOBS_SEGMENT);
  if (at <= 0) return undefined;
  const container = rest.slice(0, at);
  const blob = rest.slice(at + BLOBS_SEGMENT.length);
  if (container.includes('/') || blob === '') return undefined;
  return { container, blob };
}
