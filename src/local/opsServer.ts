/**
 * The local host's HTTP listener: the app's HTTP functions under `/api/` (as `func start` serves them)
 * and the ops page under `/ops/`: the page itself, the latest results, thumbnails of uploads, and the
 * queue depths this host sampled recently. It listens on loopback only; thumbnails are read from the
 * input container alone.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { latestResults } from '../ops/latestResults.js';
import type { StorageClients } from '../storage/clients.js';
import { downloadBlob } from '../storage/downloadBlob.js';
import { startDepthSampler, type DepthSampler } from './depthSampler.js';
import type { LocalHost } from './localHost.js';
import { OPS_PAGE_HTML } from './opsPage.js';

export const DEFAULT_PORT = 7071;
const THUMBNAIL_SIZE = 160;
const MAX_BODY_BYTES = 1024 * 1024;
/** 60 samples 10 s apart: the last 10 minutes of the depth chart. */
export const DEFAULT_DEPTH_SAMPLING = { intervalMs: 10_000, capacity: 60 } as const;

export interface OpsServerOptions {
  host: LocalHost;
  config: Config;
  storage: StorageClients;
  logger: Logger;
  /** 0 picks a free port. */
  port: number;
  /** When the port is taken, listen on a free one instead of failing. */
  fallbackToFreePort?: boolean;
  depthSampling?: { intervalMs: number; capacity: number };
}

export interface RunningOpsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

function send(response: ServerResponse, status: number, body: Buffer | string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
  response.end(body);
}

const sendJson = (response: ServerResponse, status: number, value: unknown): void =>
  send(response, status, JSON.stringify(value), { 'content-type': 'application/json; charset=utf-8' });

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request) {
    total += (chunk as Buffer).length;
    if (total > MAX_BODY_BYTES) throw new Error(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Blob names from the query string: no empty, `.` or `..` segments, which URL normalisation would resolve into another container. */
export function isSafeBlobName(name: string): boolean {
  return (
    name !== '' &&
    name.length <= 1024 &&
    !name.includes('\\') &&
    name.split('/').every((part) => part !== '' && part !== '.' && part !== '..')
  );
}

async function thumbnail(options: OpsServerOptions, blob: string): Promise<Buffer> {
  const { config, storage } = options;
  const { bytes } = await downloadBlob(storage.blobs.getContainerClient(config.names.inputContainer), blob, config.maxBlobBytes);
  return sharp(bytes, { limitInputPixels: config.maxInputPixels, failOn: 'error', pages: 1 })
    .rotate()
    .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: 75 })
    .toBuffer();
}

async function handle(options: OpsServerOptions, sampler: DepthSampler, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', `http://${request.headers.host ?? 'localhost'}`);
  const method = request.method ?? 'GET';
  const headers = Object.fromEntries(
    Object.entries(request.headers).flatMap(([key, value]) =>
      value === undefined ? [] : [[key, Array.isArray(value) ? value.join(', ') : value]],
    ),
  );
  const served = await options.host.invokeHttp({ method, url, headers, body: await readBody(request) });
  if (served !== undefined) {
    response.writeHead(served.status, served.headers);
    response.end(served.body);
    return;
  }
  if (method !== 'GET') return send(response, 405, 'method not allowed');
  switch (url.pathname) {
    case '/':
      response.writeHead(302, { location: '/ops/' });
      response.end();
      return;
    case '/ops':
    case '/ops/':
      return send(response, 200, OPS_PAGE_HTML, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self'",
      });
    case '/ops/results': {
      const limit = Number(url.searchParams.get('limit') ?? '12');
      const results = await latestResults(
        options.storage.blobs.getContainerClient(options.config.names.resultsContainer),
        Number.isInteger(limit) ? limit : 12,
      );
      return sendJson(response, 200, { inputContainer: options.config.names.inputContainer, results });
    }
    case '/ops/history': {
      const { intervalMs, capacity } = options.depthSampling ?? DEFAULT_DEPTH_SAMPLING;
      return sendJson(response, 200, { intervalSeconds: intervalMs / 1000, capacity, samples: sampler.history.samples() });
    }
    case '/ops/thumbnail': {
      const blob = url.searchParams.get('blob') ?? '';
      if (!isSafeBlobName(blob)) return sendJson(response, 400, { error: 'expected ?blob=<name of an upload in the input container>' });
      try {
        return send(response, 200, await thumbnail(options, blob), { 'content-type': 'image/jpeg' });
      } catch (error) {
        // Not found, too large, or not an image sharp can read (e.g. HEIC): the page shows a placeholder.
        options.logger.debug('ops.no_thumbnail', { blob, message: error instanceof Error ? error.message : String(error) });
        return sendJson(response, 404, { error: 'no preview for this upload' });
      }
    }
    default:
      return send(response, 404, 'not found');
  }
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

async function listenOrFallBack(server: Server, options: OpsServerOptions): Promise<number> {
  try {
    return await listen(server, options.port);
  } catch (error) {
    if (!(options.fallbackToFreePort ?? false) || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    options.logger.warn('ops.port_in_use', { port: options.port });
    return listen(server, 0);
  }
}

export async function startOpsServer(options: OpsServerOptions): Promise<RunningOpsServer> {
  const sampler = startDepthSampler({
    storage: options.storage,
    names: options.config.names,
    logger: options.logger,
    ...(options.depthSampling ?? DEFAULT_DEPTH_SAMPLING),
  });
  const server = createServer((request, response) => {
    handle(options, sampler, request, response).catch((error: unknown) => {
      options.logger.warn('ops.request_failed', {
        path: request.url?.split('?')[0],
        message: error instanceof Error ? error.message : String(error),
      });
      if (!response.headersSent) sendJson(response, 500, { error: 'internal error' });
      else response.end();
    });
  });
  let port: number;
  try {
    port = await listenOrFallBack(server, options);
  } catch (error) {
    await sampler.stop();
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      await sampler.stop();
      await new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      });
    },
  };
}
