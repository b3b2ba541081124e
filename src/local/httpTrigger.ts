/**
 * The HTTP trigger as the Functions host routes it: `/<routePrefix>/<route>` (the prefix is `api`, the
 * route defaults to the function name, `{name}` segments become `request.params`), the trigger's
 * methods, an `HttpRequest` built as the Node worker builds it, and the handler's `HttpResponseInit`
 * turned into a response. Keys are not checked, as with `func start`.
 */
import functions, { type HttpResponseInit } from '@azure/functions';
import type { Binding, RegisteredFunction } from './functionApp.js';

const { HttpRequest, HttpResponse } = functions;

/** host.json `extensions.http.routePrefix`; this app keeps the default. */
export const ROUTE_PREFIX = 'api';

export interface LocalHttpRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface LocalHttpResponse {
  status: number;
  headers: [string, string][];
  body: Buffer;
}

export interface HttpRoute {
  fn: RegisteredFunction;
  trigger: Binding;
  segments: string[];
  methods: string[];
}

export function httpRouteOf(fn: RegisteredFunction, trigger: Binding): HttpRoute {
  const route = typeof trigger['route'] === 'string' && trigger['route'] !== '' ? trigger['route'] : fn.name;
  const methods = Array.isArray(trigger['methods']) ? trigger['methods'].map((method) => String(method).toUpperCase()) : ['GET', 'POST'];
  return { fn, trigger, segments: [ROUTE_PREFIX, ...route.split('/').filter((part) => part !== '')], methods };
}

export type RouteMatch = { route: HttpRoute; params: Record<string, string> } | { methodNotAllowed: true } | undefined;

/** Segments match literally (case-insensitive, as the host's routing does) or bind `{name}`. */
export function matchRoute(routes: readonly HttpRoute[], method: string, pathname: string): RouteMatch {
  const parts = pathname
    .split('/')
    .filter((part) => part !== '')
    .map((part) => decodeURIComponent(part));
  let pathMatched = false;
  for (const route of routes) {
    if (route.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const matches = route.segments.every((segment, i) => {
      const part = parts[i] ?? '';
      const param = /^\{(\w+)(?::[^}]*)?\}$/.exec(segment);
      if (param?.[1] !== undefined) {
        params[param[1]] = part;
        return true;
      }
      return segment.toLowerCase() === part.toLowerCase();
    });
    if (!matches) continue;
    pathMatched = true;
    if (route.methods.includes(method.toUpperCase())) return { route, params };
  }
  return pathMatched ? { methodNotAllowed: true } : undefined;
}

export function toHttpRequest(request: LocalHttpRequest, params: Record<string, string>): InstanceType<typeof HttpRequest> {
  return new HttpRequest({
    method: request.method,
    url: request.url.href,
    headers: request.headers,
    query: Object.fromEntries(request.url.searchParams),
    params,
    ...(request.body === undefined || request.body.length === 0 ? {} : { body: { bytes: request.body } }),
  });
}

/** What a handler returns (an `HttpResponse` or an `HttpResponseInit`, or nothing) as bytes and headers. */
export async function toLocalResponse(returned: unknown): Promise<LocalHttpResponse> {
  const response = returned instanceof HttpResponse ? returned : new HttpResponse((returned ?? {}) as HttpResponseInit);
  return { status: response.status, headers: [...response.headers], body: Buffer.from(await response.arrayBuffer()) };
}
