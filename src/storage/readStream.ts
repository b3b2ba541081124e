/** A response body's bytes; `check` sees the running total before each chunk is kept, and may throw to refuse. */
export async function readStream(stream: NodeJS.ReadableStream | undefined, check?: (total: number) => void): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  if (stream === undefined) return Buffer.alloc(0);
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    total += buffer.length;
    check?.(total);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, total);
}
