/**
 * What the OpenAI-compatible test server and the load simulator share: the three chat-completion routes
 * and their checks, JSON answers in the service's error shape, waits that end when the client goes
 * away, and a loopback listener that stops them all on close.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Azure's dated API: the deployment is the first group, `api-version` is required. */
export const AZURE_PATH = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/;
/** Azure's v1 API: the deployment is the body's `model`, and no dated `api-version` is allowed. */
export const AZURE_V1_PATH = '/openai/v1/chat/completions';
export const OPENAI_PATH = '/v1/chat/completions';

export type Route = 'azure-dated' | 'azure-v1' | 'openai';

export function routeOf(pathname: string): Route | undefined {
  if (AZURE_PATH.test(pathname)) return 'azure-dated';
  if (pathname === AZURE_V1_PATH) return 'azure-v1';
  return pathname === OPENAI_PATH ? 'openai' : undefined;
}

export const errorBody = (message: string, code: string, type = 'invalid_request_error') => ({
  error: { message, type, param: null, code },
});

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
}

/** A POST to one of the routes, with the api-version each wants; otherwise answers the error and returns false. */
export function acceptRoute(req: IncomingMessage, url: URL, res: ServerResponse): boolean {
  const route = routeOf(url.pathname);
  const version = url.searchParams.get('api-version');
  if (route === undefined) sendJson(res, 404, errorBody(`no route for ${url.pathname}`, 'not_found'));
  else if (req.method !== 'POST') sendJson(res, 405, errorBody(`expected POST, got ${req.method}`, 'method_not_allowed'));
  else if (route === 'azure-dated' && version === null) {
    sendJson(res, 400, errorBody('the api-version query parameter is required', 'missing_api_version'));
  } else if (route === 'azure-v1' && version !== null && version !== 'preview') {
    sendJson(res, 400, errorBody('api-version query parameter is not allowed when using /v1 path', 'BadRequest'));
  } else return true;
  return false;
}

/** Resolves after `ms`, or as soon as the client closes the connection or the server closes. */
export type Wait = (ms: number, res: ServerResponse) => Promise<void>;

export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

/** Serves `handle` on a free loopback port; a handler that throws answers 500 with `failure` and the error. */
export async function serveLoopback(
  handle: (req: IncomingMessage, res: ServerResponse, wait: Wait) => Promise<void>,
  failure: string,
): Promise<LoopbackServer> {
  const timers = new Set<NodeJS.Timeout>();
  const wait: Wait = (ms, res) =>
    new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        timers.delete(timer);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timers.add(timer);
      res.once('close', done);
    });
  const server = createServer((req, res) => {
    handle(req, res, wait).catch((error: unknown) =>
      sendJson(res, 500, errorBody(`${failure}: ${String(error)}`, 'server_error', 'server_error')),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}
