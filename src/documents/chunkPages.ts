/**
 * Pages into model requests. A deployment accepts a limited number of images per request (Azure OpenAI
 * GPT-4o: 10), so a longer document is sent as several requests whose answers are merged by the profile
 * (mergeAnswers.ts). The chunks are as even as possible rather than full-then-remainder: the same number
 * of requests, but 11 pages go as 6 + 5, not 10 + 1, so no request sees a lone page without the context
 * of its neighbours, and requests take about the same time.
 */

/** 1-based page numbers of each request, in page order. */
export function chunkPages(pageCount: number, maxPerRequest: number): number[][] {
  if (!Number.isInteger(pageCount) || pageCount < 1) throw new RangeError(`expected at least 1 page, got ${pageCount}`);
  if (!Number.isInteger(maxPerRequest) || maxPerRequest < 1)
    throw new RangeError(`expected at least 1 image per request, got ${maxPerRequest}`);
  const requests = Math.ceil(pageCount / maxPerRequest);
  const base = Math.floor(pageCount / requests);
  const larger = pageCount % requests;
  const chunks: number[][] = [];
  let next = 1;
  for (let i = 0; i < requests; i++) {
    const size = base + (i < larger ? 1 : 0);
    chunks.push(Array.from({ length: size }, (_, k) => next + k));
    next += size;
  }
  return chunks;
}
