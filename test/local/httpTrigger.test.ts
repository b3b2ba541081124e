import { describe, expect, it } from 'vitest';
import type { RegisteredFunction } from '../../src/local/functionApp.js';
import { httpRouteOf, matchRoute, toHttpRequest, toLocalResponse } from '../../src/local/httpTrigger.js';

const fn = (name: string): RegisteredFunction => ({ name, bindings: {}, handler: () => undefined });
const trigger = (options: Record<string, unknown>) => ({ type: 'httpTrigger', direction: 'in' as const, name: 'request', ...options });

describe('the local HTTP trigger', () => {
  const routes = [
    httpRouteOf(fn('health'), trigger({ route: 'health', methods: ['GET'] })),
    httpRouteOf(fn('byName'), trigger({ methods: ['GET', 'POST'] })),
    httpRouteOf(fn('item'), trigger({ route: 'items/{id:int}', methods: ['GET'] })),
  ];

  it('routes api/<route>, the function name by default, and binds {params}', () => {
    expect(matchRoute(routes, 'GET', '/api/health')).toMatchObject({ route: { fn: { name: 'health' } }, params: {} });
    expect(matchRoute(routes, 'post', '/api/byName')).toMatchObject({ route: { fn: { name: 'byName' } } });
    expect(matchRoute(routes, 'GET', '/API/Items/42')).toMatchObject({ route: { fn: { name: 'item' } }, params: { id: '42' } });
    expect(matchRoute(routes, 'GET', '/health')).toBeUndefined();
    expect(matchRoute(routes, 'GET', '/api/health/extra')).toBeUndefined();
    expect(matchRoute(routes, 'DELETE', '/api/health')).toEqual({ methodNotAllowed: true });
  });

  it('builds the HttpRequest a handler receives and converts what it returns', async () => {
    const request = toHttpRequest(
      { method: 'GET', url: new URL('http://localhost/api/items/7?x=1'), headers: { accept: 'application/json' } },
      { id: '7' },
    );
    expect(request.params['id']).toBe('7');
    expect(request.query.get('x')).toBe('1');
    expect(request.headers.get('accept')).toBe('application/json');
    const response = await toLocalResponse({ status: 503, jsonBody: { ok: false }, headers: { 'cache-control': 'no-store' } });
    expect(response.status).toBe(503);
    expect(Object.fromEntries(response.headers)).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    expect(JSON.parse(response.body.toString())).toEqual({ ok: false });
    expect((await toLocalResponse(undefined)).status).toBe(200);
  });
});
