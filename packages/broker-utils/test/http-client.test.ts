import { getEventListeners } from 'node:events';
import { inspect } from 'node:util';
import { BrokerApiError, InvalidInputError, NetworkError, Secret, TokensError } from '@tokens/core';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { brokerApiErrorFromResponse, createBrokerHttp, parseJsonResponse } from '../src';
import { sendJson, startLoopbackServer, type LoopbackHandler, type LoopbackServer } from '../src/testing';

const servers: LoopbackServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handler: LoopbackHandler): Promise<LoopbackServer> {
  const server = await startLoopbackServer(handler);
  servers.push(server);
  return server;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('createBrokerHttp: what is sent', () => {
  it('sends method, path, query, default + request headers and a JSON body exactly', async () => {
    const server = await serve((_req, res) => sendJson(res, 200, { s: 'ok', code: 200 }));
    const http = createBrokerHttp({
      broker: 'fyers',
      baseUrl: `${server.url}/api/v3/`,
      headers: { version: '3' },
    });
    const response = await http.request('validate-refresh-token', {
      method: 'post',
      json: { grant_type: 'refresh_token', appIdHash: new Secret('hash-value'), pin: new Secret('1234'), nested: [{ t: new Secret('x') }] },
      query: { a: '1', skip: undefined, n: 2 },
      headers: { Authorization: new Secret('APPID-100:jwt') },
    });

    expect(response.status).toBe(200);
    expect(response.ok).toBe(true);
    expect(response.json()).toEqual({ s: 'ok', code: 200 });
    expect(response.requestLabel).toBe('POST /api/v3/validate-refresh-token');
    expect(server.calls).toHaveLength(1);
    const call = server.calls[0]!;
    expect(call.method).toBe('POST');
    expect(call.path).toBe('/api/v3/validate-refresh-token');
    expect(call.query).toEqual({ a: '1', n: '2' });
    expect(call.headers['content-type']).toBe('application/json');
    expect(call.headers.version).toBe('3');
    expect(call.headers.authorization).toBe('APPID-100:jwt');
    expect(call.json).toEqual({ grant_type: 'refresh_token', appIdHash: 'hash-value', pin: '1234', nested: [{ t: 'x' }] });
  });

  it('sends a form body and accepts absolute URLs on other hosts', async () => {
    const auth = await serve((_req, res) => sendJson(res, 200, { ok: true }));
    const http = createBrokerHttp({ broker: 'schwab', baseUrl: 'https://api.schwabapi.example' });
    const response = await http.request(`${auth.url}/v1/oauth/token`, {
      method: 'POST',
      form: { grant_type: 'refresh_token', refresh_token: new Secret('rt/with+chars='), unused: undefined },
      headers: { Authorization: new Secret('Basic abc') },
    });
    expect(response.requestLabel).toBe(`POST ${auth.url}/v1/oauth/token`);
    const call = auth.calls[0]!;
    expect(call.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(call.form).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt/with+chars=' });
    expect(call.rawBody).toBe('grant_type=refresh_token&refresh_token=rt%2Fwith%2Bchars%3D');
  });

  it('uses the injected fetch', async () => {
    const server = await serve((_req, res) => sendJson(res, 200, {}));
    const seen: string[] = [];
    const http = createBrokerHttp({
      broker: 'dhan',
      baseUrl: server.url,
      fetch: async (input, init) => {
        seen.push(`${init?.method} ${new URL(input instanceof Request ? input.url : String(input)).pathname}`);
        return fetch(input, init);
      },
    });
    await http.request('/v2/profile');
    expect(seen).toEqual(['GET /v2/profile']);
  });

  it('does not follow redirects by default', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' });
      res.end();
    });
    const http = createBrokerHttp({ broker: 'kite', baseUrl: server.url });
    const response = await http.request('/session/token');
    expect(response.status).toBe(302);
    expect(server.calls).toHaveLength(1);
  });

  it('refuses json and form together', async () => {
    const http = createBrokerHttp({ broker: 'kite', baseUrl: 'http://127.0.0.1:9' });
    const error = await failure(http.request('/x', { method: 'POST', json: {}, form: {} }));
    expect(InvalidInputError.isInstance(error)).toBe(true);
  });

  it('rejects a base URL that is not absolute http(s)', () => {
    expect(() => createBrokerHttp({ broker: 'fyers', baseUrl: 'api-t1.fyers.in' })).toThrow(/absolute http\(s\) URL/);
  });
});

describe('status mapping with brokerApiErrorFromResponse', () => {
  const fixedNow = Date.UTC(2026, 10, 22, 4, 0, 0);

  async function errorFor(status: number, headers: Record<string, string> = {}) {
    const server = await serve((_req, res) => sendJson(res, status, { s: 'error', code: -16, message: 'Could not authenticate the user' }, headers));
    const http = createBrokerHttp({ broker: 'fyers', baseUrl: server.url, now: () => fixedNow });
    const response = await http.request('/api/v3/profile');
    return brokerApiErrorFromResponse({ response, brokerCode: -16 });
  }

  it('401 → auth error, not retryable', async () => {
    const error = await errorFor(401);
    expect(BrokerApiError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 401, isAuthError: true, isRetryable: false, needsHuman: false, brokerCode: -16, broker: 'fyers' });
    expect(error.message).toBe('fyers answered GET /api/v3/profile with HTTP 401 (broker code -16).');
    expect(error.responseBody).toBe('{"s":"error","code":-16,"message":"Could not authenticate the user"}');
  });

  it('429 with Retry-After seconds → retryable with retryAfterMs', async () => {
    const error = await errorFor(429, { 'retry-after': '7' });
    expect(error).toMatchObject({ statusCode: 429, isRetryable: true, isAuthError: false, retryAfterMs: 7000 });
  });

  it('429 with an HTTP-date Retry-After → retryAfterMs from the injected clock', async () => {
    const error = await errorFor(429, { 'retry-after': 'Sun, 22 Nov 2026 04:02:00 GMT' });
    expect(error.retryAfterMs).toBe(120_000);
  });

  it('500 → retryable; 400 → not retryable', async () => {
    expect((await errorFor(500)).isRetryable).toBe(true);
    const bad = await errorFor(400);
    expect(bad).toMatchObject({ isRetryable: false, isAuthError: false, statusCode: 400 });
  });

  it('overrides win (needs a human, custom message)', async () => {
    const server = await serve((_req, res) => sendJson(res, 400, { error: 'unsupported_token_type' }));
    const http = createBrokerHttp({ broker: 'schwab', baseUrl: server.url });
    const response = await http.request('/v1/oauth/token', { method: 'POST' });
    const error = brokerApiErrorFromResponse({ response, message: 'Schwab refresh token expired; log in again.', needsHuman: true, isAuthError: true });
    expect(error).toMatchObject({ message: 'Schwab refresh token expired; log in again.', needsHuman: true, isAuthError: true, isRetryable: false });
  });
});

describe('network failures', () => {
  it('a connection reset → retryable NetworkError', async () => {
    const server = await serve((req) => {
      req.socket.resetAndDestroy();
    });
    const http = createBrokerHttp({ broker: 'dhan', baseUrl: server.url });
    const error = await failure(http.request('/v2/RenewToken'));
    expect(NetworkError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ isRetryable: true, broker: 'dhan', code: 'NETWORK_ERROR' });
    expect((error as Error).message).toMatch(/^Could not reach dhan for GET \/v2\/RenewToken: /);
  });

  it('a socket closed without an answer → retryable NetworkError', async () => {
    const server = await serve((req) => {
      req.socket.destroy();
    });
    const http = createBrokerHttp({ broker: 'kotak', baseUrl: server.url });
    const error = await failure(http.request('/login/1.0/tradeApiLogin', { method: 'POST', json: {} }));
    expect(NetworkError.isInstance(error)).toBe(true);
    expect((error as NetworkError).isRetryable).toBe(true);
  });

  it('a refused connection → retryable NetworkError', async () => {
    const server = await startLoopbackServer(() => undefined);
    await server.close();
    const http = createBrokerHttp({ broker: 'kite', baseUrl: server.url });
    const error = await failure(http.request('/user/profile'));
    expect(NetworkError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('ECONNREFUSED');
  });

  it('a server that never answers → NetworkError after timeoutMs', async () => {
    const server = await serve(() => undefined);
    const http = createBrokerHttp({ broker: 'schwab', baseUrl: server.url, timeoutMs: 200 });
    const error = await failure(http.request('/v1/oauth/token', { method: 'POST', query: { q: 'x' } }));
    expect(NetworkError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe('schwab did not answer POST /v1/oauth/token within 200 ms.');
  });

  it('a body that stalls after the headers also times out', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"s":');
    });
    const http = createBrokerHttp({ broker: 'fyers', baseUrl: server.url, timeoutMs: 200 });
    const error = await failure(http.request('/api/v3/profile'));
    expect(NetworkError.isInstance(error)).toBe(true);
  });

  it("re-throws the caller's abort", async () => {
    const server = await serve(() => undefined);
    const http = createBrokerHttp({ broker: 'fyers', baseUrl: server.url });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await failure(http.request('/api/v3/profile', { signal: controller.signal }));
    expect((error as Error).name).toBe('AbortError');
    expect(NetworkError.isInstance(error)).toBe(false);

    const reason = new Error('shutting down');
    const second = new AbortController();
    setTimeout(() => second.abort(reason), 50);
    expect(await failure(http.request('/api/v3/profile', { signal: second.signal }))).toBe(reason);

    const already = new AbortController();
    already.abort();
    expect(((await failure(http.request('/api/v3/profile', { signal: already.signal }))) as Error).name).toBe('AbortError');
  });

  it("leaves no listener on a long-lived caller signal, and a deadline is still a timeout with one", async () => {
    const server = await serve((_req, res) => sendJson(res, 200, { s: 'ok' }));
    const http = createBrokerHttp({ broker: 'fyers', baseUrl: server.url });
    const lifetime = new AbortController();
    for (let i = 0; i < 30; i++) expect((await http.request('/api/v3/profile', { signal: lifetime.signal })).status).toBe(200);
    expect(getEventListeners(lifetime.signal, 'abort')).toHaveLength(0);
    const silent = await serve(() => undefined);
    const slow = createBrokerHttp({ broker: 'fyers', baseUrl: silent.url, timeoutMs: 100 });
    const error = await failure(slow.request('/api/v3/profile', { signal: lifetime.signal }));
    expect(NetworkError.isInstance(error) && error.message).toMatch(/did not answer GET \/api\/v3\/profile within 100 ms/);
    expect(getEventListeners(lifetime.signal, 'abort')).toHaveLength(0);
  });
});

describe('secrets never leak into errors', () => {
  const canary = 'CANARY-7f3a9c1e-not-for-logs';
  const plainCanary = 'PLAINCANARY-91b2'; // passed as a plain string in a credential header/param

  function assertClean(error: unknown) {
    expect(error).toBeInstanceOf(Error);
    const views = [
      (error as Error).message,
      String(error),
      JSON.stringify(error),
      inspect(error, { depth: Infinity }),
      inspect(error, { depth: Infinity, showHidden: true }),
      (error as BrokerApiError).responseBody ?? '',
    ];
    for (const view of views) {
      expect(view).not.toContain(canary);
      expect(view).not.toContain(plainCanary);
      expect(view).not.toContain('leaky=q');
      expect(view).not.toContain('UNKNOWN-TOKEN-VALUE');
    }
  }

  const request = {
    method: 'POST',
    query: { pin: new Secret(canary), totp: plainCanary, leaky: 'q' },
    headers: { Authorization: new Secret(`token key:${canary}`), 'access-token': plainCanary },
    json: { refresh_token: new Secret(canary), pin: plainCanary },
  } as const;

  const echo: LoopbackHandler = (_req, res, call) =>
    sendJson(res, 401, {
      s: 'error',
      message: `bad token ${canary} / ${plainCanary} for ${call.path}?leaky=${canary}`,
      access_token: 'UNKNOWN-TOKEN-VALUE',
      headers: call.headers,
    });

  it('in a BrokerApiError built from the response', async () => {
    const server = await serve(echo);
    const http = createBrokerHttp({ broker: 'kite', baseUrl: server.url });
    const response = await http.request('/session/token', request);
    expect(response.bodyText).toContain(canary); // the raw body is there for the adapter…
    const error = brokerApiErrorFromResponse({ response, message: `rejected ${canary}` });
    expect(error.message).toBe('rejected [redacted]');
    assertClean(error); // …but never on the error
  });

  it('in a shape error and a not-JSON error', async () => {
    const server = await serve(echo);
    const http = createBrokerHttp({ broker: 'kite', baseUrl: server.url });
    const response = await http.request('/session/token', request);
    const shape = (() => {
      try {
        parseJsonResponse(z.object({ data: z.object({ access_token: z.string() }) }), response);
      } catch (error) {
        return error;
      }
    })();
    expect(BrokerApiError.isInstance(shape)).toBe(true);
    assertClean(shape);

    const textServer = await serve((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end(`<html>upstream said ${canary} and ${plainCanary}</html>`);
    });
    const other = createBrokerHttp({ broker: 'kite', baseUrl: textServer.url });
    const html = await other.request('/session/token', request);
    const notJson = (() => {
      try {
        html.json();
      } catch (error) {
        return error;
      }
    })();
    expect(notJson).toMatchObject({ statusCode: 502, isRetryable: true });
    assertClean(notJson);
  });

  it('in network errors (reset and timeout)', async () => {
    const reset = await serve((req) => {
      req.socket.resetAndDestroy();
    });
    const http1 = createBrokerHttp({ broker: 'kite', baseUrl: reset.url });
    assertClean(await failure(http1.request('/session/token', request)));

    const silent = await serve(() => undefined);
    const http2 = createBrokerHttp({ broker: 'kite', baseUrl: silent.url, timeoutMs: 150 });
    assertClean(await failure(http2.request('/session/token', request)));
  });

  it('in errors about an unsendable header', async () => {
    const server = await serve((_req, res) => sendJson(res, 200, {}));
    const http = createBrokerHttp({ broker: 'kite', baseUrl: server.url });
    const error = await failure(http.request('/session/token', { headers: { Authorization: new Secret(`token ${canary}\nX-Injected: y`) } }));
    expect(InvalidInputError.isInstance(error)).toBe(true);
    expect((error as TokensError).isRetryable).toBe(false);
    expect((error as Error).message).toContain('header "Authorization"');
    assertClean(error);
  });

  it('in errors from a custom fetch that throws something unexpected', async () => {
    const http = createBrokerHttp({
      broker: 'kite',
      baseUrl: 'http://127.0.0.1:9',
      fetch: async (input) => {
        throw new Error(`proxy refused ${input instanceof Request ? input.url : ''} with ${canary}`);
      },
    });
    const error = await failure(http.request('/session/token', request));
    expect(TokensError.isInstance(error)).toBe(true);
    expect(NetworkError.isInstance(error)).toBe(false);
    expect((error as TokensError).isRetryable).toBe(false);
    assertClean(error);
  });
});
