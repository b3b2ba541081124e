/**
 * Child process for the no-network test: checks the network guard is in force (here and in a worker
 * thread), then reads a generated invoice offline and prints what it found as JSON.
 */
import { lookup } from 'node:dns';
import { connect } from 'node:net';
import { Worker } from 'node:worker_threads';
import { generateSample } from '../../../../eval/generate.js';
import { createDocumentReader } from '../../../../src/providers/offline/documentReader.js';

const refused = (attempt: () => unknown): string => {
  try {
    attempt();
    return 'allowed';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
};

const inWorker = await new Promise<string>((resolve, reject) => {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     try { require('node:net').connect(80, 'example.com'); parentPort.postMessage('allowed'); }
     catch (error) { parentPort.postMessage(error.message); }`,
    { eval: true },
  );
  worker.once('message', resolve);
  worker.once('error', reject);
});

const { sample, bytes } = await generateSample(1, Number(process.argv[2] ?? 0));
const reader = createDocumentReader();
try {
  const reading = await reader.read(sample.profile, { bytes, mime: sample.mime, width: sample.width, height: sample.height });
  console.log(
    JSON.stringify({
      guard: {
        fetch: refused(() => fetch('https://example.com')),
        socket: refused(() => connect(443, 'example.com')),
        dns: refused(() => lookup('example.com', () => {})),
        worker: inWorker,
      },
      expected: sample.expected,
      data: reading.data,
      engine: reading.engine,
    }),
  );
} finally {
  await reader.close();
}
