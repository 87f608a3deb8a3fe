import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTokensClient, TokensClientError, type TokensClient, type TokensClientOptions } from '../src';

// Misbehaving stand-ins for the daemon: garbage, silence, hangs, a daemon that goes away.

const API = 'fault-test-api-token-000000';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function client(o: Partial<TokensClientOptions>): TokensClient {
  const c = createTokensClient({ apiToken: API, reconnect: { initialMs: 10, maxMs: 50 }, requestTimeoutMs: 500, ...o });
  cleanups.push(() => c.close());
  return c;
}

async function httpServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server; hits: string[] }> {
  const hits: string[] = [];
  const server = createHttpServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server, hits };
}

const token = (version: number, expiresAt = Date.now() + 3_600_000) => ({ account: 'a', broker: 'dhan', version, accessToken: `secret-${version}`, tokenType: 'Bearer', expiresAt, issuedAt: Date.now() });

function sseHead(res: ServerResponse) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
}

const waitFor = async <T>(check: () => T | undefined | false, ms = 3_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('HTTP faults', () => {
  it('a token answer that is not JSON is BAD_RESPONSE (retryable)', async () => {
    const { url } = await httpServer((req, res) => {
      if (req.url === '/v1/events') return sseHead(res);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"accessToken": "secr');
    });
    const error = await client({ url }).getAccessToken('a').catch((e: unknown) => e);
    expect(TokensClientError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'BAD_RESPONSE', isRetryable: true, account: 'a' });
    expect(String((error as Error).message)).not.toContain('secr');
  });

  it('JSON without a token is BAD_RESPONSE too', async () => {
    const { url } = await httpServer((req, res) => {
      if (req.url === '/v1/events') return sseHead(res);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"hello":"world"}');
    });
    await expect(client({ url }).getAccessToken('a')).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
  });

  it('a daemon that never answers is TIMEOUT after requestTimeoutMs', async () => {
    const { url } = await httpServer(() => undefined); // holds every request
    const started = Date.now();
    await expect(client({ url, requestTimeoutMs: 300 }).getAccessToken('a')).rejects.toMatchObject({ code: 'TIMEOUT', isRetryable: true });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('nothing listening is DAEMON_UNAVAILABLE (retryable), and ready() says why', async () => {
    const { url, server } = await httpServer(() => undefined);
    await new Promise<void>((r) => server.close(() => r()));
    const c = client({ url });
    await expect(c.getAccessToken('a')).rejects.toMatchObject({ code: 'DAEMON_UNAVAILABLE', isRetryable: true, needsHuman: false });
    await expect(c.ready(200)).rejects.toMatchObject({ code: 'DAEMON_UNAVAILABLE' });
  });

  it('a daemon error body keeps its code and flags (LOGIN_REQUIRED needs a human)', async () => {
    const { url } = await httpServer((req, res) => {
      if (req.url === '/v1/events') return sseHead(res);
      res.writeHead(409, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'LOGIN_REQUIRED', message: 'Log in to Kite.', isRetryable: false, needsHuman: true } }));
    });
    await expect(client({ url }).getAccessToken('a')).rejects.toMatchObject({ code: 'LOGIN_REQUIRED', isRetryable: false, needsHuman: true, status: 409 });
  });

  it('keeps serving a cached token while the daemon is down, and says clearly when it has expired', async () => {
    let expiresAt = Date.now() + 400;
    const { url, server } = await httpServer((req, res) => {
      if (req.url === '/v1/events') return sseHead(res);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(token(1, expiresAt)));
    });
    const errors: Error[] = [];
    const c = client({ url, expirySkewMs: 0, onError: (e) => errors.push(e) });
    expect(await c.getAccessToken('a')).toBe('secret-1');
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await waitFor(() => c.state !== 'connected');
    expect(await c.getAccessToken('a')).toBe('secret-1'); // still valid: served from the cache
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now() + 20)));
    const error = await c.getAccessToken('a').catch((e: unknown) => e as TokensClientError);
    expect(error).toMatchObject({ code: 'DAEMON_UNAVAILABLE', isRetryable: true, account: 'a' });
    expect((error as Error).message).toMatch(/No valid token for "a": the cached one expired at \d{4}-\d\d-\d\dT.*unreachable/);
    expect(errors.some((e) => (e as TokensClientError).code === 'DAEMON_UNAVAILABLE')).toBe(true);
    expiresAt = 0;
  });

  it('an event stream that goes silent is dropped after idleTimeoutMs and reopened', async () => {
    const { url, hits } = await httpServer((req, res) => {
      if (req.url?.startsWith('/v1/events')) return sseHead(res); // never a byte, not even heartbeats
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(token(1)));
    });
    const c = client({ url, idleTimeoutMs: 150 });
    // The server sees the third request a moment before the client counts the connection.
    await waitFor(() => hits.filter((h) => h.includes('/v1/events')).length >= 3 && c.stats().connections >= 3, 5_000);
    expect(c.stats().connections).toBeGreaterThanOrEqual(3);
    expect(c.stats().lastError).toMatch(/TIMEOUT: No data from the daemon's event stream/);
  });

  it('ignores garbage events, survives an over-long line, and keeps the stream for good ones', async () => {
    let version = 1;
    let stream: ServerResponse | undefined;
    const { url, hits } = await httpServer((req, res) => {
      if (req.url?.startsWith('/v1/events')) {
        sseHead(res);
        stream = res;
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(token(version)));
    });
    const errors: Error[] = [];
    const c = client({ url, accounts: ['a'], onError: (e) => errors.push(e) });
    await c.ready();
    expect(c.peek('a')?.version).toBe(1);
    stream!.write('event: token\ndata: {not json\n\n');
    stream!.write(': a comment\r\nretry: 10\r\nnonsense\r\n\r\n');
    await waitFor(() => errors.length > 0);
    expect(errors[0]).toMatchObject({ code: 'BAD_RESPONSE' });
    version = 2;
    stream!.write(`id: 7\nevent: token\ndata: ${JSON.stringify({ type: 'token', accountId: 'a', version: 2, expiresAt: Date.now() + 1e6, source: 'refresh' })}\n\n`);
    await waitFor(() => c.peek('a')?.version === 2);
    expect(c.stats().connections).toBe(1);
    // A line that never ends: the client gives up on this stream and reconnects.
    stream!.write(`data: ${'x'.repeat(1_100_000)}`);
    await waitFor(() => c.stats().connections >= 2, 3_000);
    expect(hits.filter((h) => h.includes('/v1/events')).length).toBeGreaterThanOrEqual(2);
  });

  it('an /v1/events that is not an event stream is BAD_RESPONSE and retried', async () => {
    const { url, hits } = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>not the daemon</html>');
    });
    const c = client({ url });
    await waitFor(() => hits.length >= 3);
    expect(c.stats().lastError).toMatch(/BAD_RESPONSE/);
    expect(c.stats().connections).toBe(0);
  });
});

describe('socket faults', () => {
  async function socketServer(onLine: (socket: Socket, msg: Record<string, unknown>) => void): Promise<{ path: string; server: NetServer; connections: () => number }> {
    const dir = mkdtempSync(join(tmpdir(), 'tokens-client-sock-'));
    const path = join(dir, 's.sock');
    let count = 0;
    const sockets = new Set<Socket>();
    const server = createNetServer((socket) => {
      count++;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.setEncoding('utf8');
      let buf = '';
      socket.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          onLine(socket, JSON.parse(line) as Record<string, unknown>);
        }
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(path, r));
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => (rmSync(dir, { recursive: true, force: true }), r())));
    });
    return { path, server, connections: () => count };
  }

  const ok = (socket: Socket, msg: Record<string, unknown>, extra: object = {}) => socket.write(`${JSON.stringify({ id: msg.id, ok: true, ...extra })}\n`);

  it('a garbage line drops the connection and the client reconnects', async () => {
    let n = 0;
    const { path, connections } = await socketServer((socket, msg) => {
      if (msg.op === 'subscribe') {
        ok(socket, msg);
        if (++n === 1) socket.write('this is not json\n');
        return;
      }
      if (msg.op === 'get') return ok(socket, msg, { account: 'a', version: 3, access_token: 'sock-secret', expires_at: Math.floor(Date.now() / 1000) + 3600 });
      ok(socket, msg);
    });
    const errors: Error[] = [];
    const c = client({ socketPath: path, accounts: ['a'], onError: (e) => errors.push(e) });
    await waitFor(() => connections() >= 2);
    await c.ready();
    expect(errors.some((e) => (e as TokensClientError).code === 'BAD_RESPONSE')).toBe(true);
    expect(await c.getAccessToken('a')).toBe('sock-secret');
  });

  it('a socket daemon that stops answering pings is dropped and reconnected', async () => {
    let mute = true;
    const { path, connections } = await socketServer((socket, msg) => {
      if (msg.op === 'ping' && mute) return; // silence
      ok(socket, msg);
    });
    const c = client({ socketPath: path, idleTimeoutMs: 150 });
    await waitFor(() => connections() >= 2, 3_000);
    expect(c.stats().lastError).toMatch(/TIMEOUT/);
    mute = false;
  });

  it('a wrong API token on the socket is UNAUTHORIZED', async () => {
    const { path } = await socketServer((socket, msg) => {
      if (msg.op === 'auth') {
        socket.write(`${JSON.stringify({ id: msg.id, ok: false, error: { code: 'UNAUTHORIZED', message: 'wrong API token' } })}\n`);
        socket.end();
      }
    });
    await expect(client({ socketPath: path }).getAccessToken('a')).rejects.toMatchObject({ code: 'UNAUTHORIZED', isRetryable: false });
  });

  const sockToken = (version: number) => ({ account: 'a', version, access_token: `sock-secret-${version}`, expires_at: Math.floor(Date.now() / 1000) + 3600 });

  it('a daemon without the socket invalidate op: UNKNOWN_OP, not retryable, and says what to do', async () => {
    const { path } = await socketServer((socket, msg) => {
      if (msg.op === 'get') return ok(socket, msg, sockToken(1));
      if (msg.op === 'invalidate' || msg.op === 'refresh') {
        return socket.write(`${JSON.stringify({ id: msg.id, ok: false, error: { code: 'UNKNOWN_OP', message: 'ops: auth, ping, list, get, subscribe' } })}\n`);
      }
      ok(socket, msg);
    });
    const c = client({ socketPath: path, accounts: ['a'] });
    await c.ready();
    const error = (await c.invalidate('a').catch((e: unknown) => e)) as TokensClientError;
    expect(error).toMatchObject({ code: 'UNKNOWN_OP', isRetryable: false, needsHuman: true, account: 'a' });
    expect(error.message).toMatch(/has no socket op "invalidate".*update the daemon, or pass `url`/);
    expect(c.state).toBe('connected');
  });

  it('an invalidate the daemon does not answer in time is TIMEOUT, and the push connection stays', async () => {
    const { path, connections } = await socketServer((socket, msg) => {
      if (msg.op === 'get') return ok(socket, msg, sockToken(1));
      if (msg.op === 'invalidate') return; // a broker that hangs
      ok(socket, msg);
    });
    const c = client({ socketPath: path, accounts: ['a'], invalidateTimeoutMs: 150 });
    await c.ready();
    await expect(c.invalidate('a')).rejects.toMatchObject({ code: 'TIMEOUT', isRetryable: true, account: 'a', message: expect.stringMatching(/could not replace the rejected token of "a" \(invalidate: .*did not answer "invalidate" in time\)/) });
    await new Promise((r) => setTimeout(r, 100));
    expect(connections()).toBe(1);
    expect(c.state).toBe('connected');
  });

  it('invalidate: the op\'s answer is used when newer, else a forced refresh', async () => {
    const ops: string[] = [];
    let version = 1;
    const { path } = await socketServer((socket, msg) => {
      ops.push(String(msg.op));
      if (msg.op === 'get') return ok(socket, msg, sockToken(version));
      if (msg.op === 'invalidate') return ok(socket, msg, sockToken(version)); // the same token: not replaced
      if (msg.op === 'refresh') return ok(socket, msg, sockToken(++version));
      ok(socket, msg);
    });
    const c = client({ socketPath: path, accounts: ['a'] });
    await c.ready();
    const fresh = await c.invalidate('a', { accessToken: 'sock-secret-1' });
    expect(fresh).toMatchObject({ version: 2, accessToken: 'sock-secret-2' });
    expect(ops.filter((o) => o === 'invalidate' || o === 'refresh')).toEqual(['invalidate', 'refresh']);
  });

  it('subscribe refused for an unknown account: list, then subscribe to the known ones (no reconnect)', async () => {
    const subscribes: unknown[] = [];
    const { path, connections } = await socketServer((socket, msg) => {
      if (msg.op === 'subscribe') {
        subscribes.push(msg.accounts);
        const unknown = (msg.accounts as string[]).filter((a) => a !== 'a');
        if (unknown.length) return socket.write(`${JSON.stringify({ id: msg.id, ok: false, error: { code: 'UNKNOWN_ACCOUNT', message: `unknown account(s): ${unknown.join(', ')}` } })}\n`);
        ok(socket, msg);
        return socket.write(`${JSON.stringify({ event: 'token', ...sockToken(7), source: 'snapshot' })}\n`);
      }
      if (msg.op === 'list') return ok(socket, msg, { accounts: [{ accountId: 'a', tokenValid: true }] });
      if (msg.op === 'get' && msg.account === 'a') return ok(socket, msg, sockToken(7));
      if (msg.op === 'get') return socket.write(`${JSON.stringify({ id: msg.id, ok: false, error: { code: 'UNKNOWN_ACCOUNT', message: 'unknown' } })}\n`);
      ok(socket, msg);
    });
    const errors: TokensClientError[] = [];
    const c = client({ socketPath: path, accounts: ['a', 'x'], onError: (e) => errors.push(e as TokensClientError) });
    await c.ready();
    expect(subscribes).toEqual([['a', 'x'], ['a']]);
    expect(await c.getAccessToken('a')).toBe('sock-secret-7');
    await expect(c.getAccessToken('y')).rejects.toMatchObject({ code: 'UNKNOWN_ACCOUNT', account: 'y' });
    await waitFor(() => subscribes.length === 4);
    expect(subscribes.slice(2)).toEqual([['a', 'x', 'y'], ['a']]);
    expect(errors.map((e) => `${e.code} ${e.account}`)).toEqual(['UNKNOWN_ACCOUNT x']);
    expect(connections()).toBe(1);
  });

  it('no socket file is DAEMON_UNAVAILABLE', async () => {
    await expect(client({ socketPath: join(tmpdir(), 'no-such-tokens.sock') }).getAccessToken('a')).rejects.toMatchObject({ code: 'DAEMON_UNAVAILABLE', isRetryable: true });
  });
});

describe('options and lifecycle', () => {
  it('rejects bad options with a clear message', () => {
    expect(() => createTokensClient({ apiToken: '' })).toThrow(/apiToken is required/);
    expect(() => createTokensClient({ apiToken: 'x' })).toThrow(/url .* or socketPath/);
    expect(() => createTokensClient({ apiToken: 'x', url: '127.0.0.1:7420' })).toThrow(/http:\/\//);
    expect(() => createTokensClient({ apiToken: 'x', url: 'http://127.0.0.1:1', transport: 'socket' })).toThrow(/needs socketPath/);
  });

  it('close() stops everything; later calls are CLOSED', async () => {
    const { url } = await httpServer((req, res) => {
      if (req.url === '/v1/events') return sseHead(res);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(token(1)));
    });
    const c = createTokensClient({ url, apiToken: API });
    const states: string[] = [];
    c.onConnection((s) => states.push(s));
    await c.ready();
    await c.close();
    expect(c.state).toBe('closed');
    expect(states.at(-1)).toBe('closed');
    await expect(c.getAccessToken('a')).rejects.toMatchObject({ code: 'CLOSED', isRetryable: false });
    await expect(c.ready()).rejects.toMatchObject({ code: 'CLOSED' });
    await c.close(); // twice is fine
  });

  it('withToken leaves non-auth errors alone and retries auth errors only once', async () => {
    let version = 1;
    const { url, hits } = await httpServer((req, res) => {
      if (req.url === '/v1/events') return sseHead(res);
      if (req.method === 'POST' && req.url?.endsWith('/refresh')) version++;
      if (req.method === 'POST' && req.url?.endsWith('/invalidate')) version++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(token(version)));
    });
    const c = client({ url });
    await expect(c.withToken('a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const seen: string[] = [];
    await expect(
      c.withToken('a', (t) => {
        seen.push(t);
        throw Object.assign(new Error('Unauthorized'), { response: { status: 401 } });
      }),
    ).rejects.toThrow('Unauthorized');
    expect(seen).toEqual(['secret-1', 'secret-2']);
    // kiteconnect's TokenException shape counts as an auth error too.
    seen.length = 0;
    const result = await c.withToken('a', (t) => {
      seen.push(t);
      if (seen.length === 1) throw { status: 'error', error_type: 'TokenException', message: 'Incorrect `api_key` or `access_token`.' };
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(seen).toEqual(['secret-2', 'secret-3']);
    expect(hits.filter((h) => h.includes('/invalidate'))).toHaveLength(2);
  });

  it('concurrent invalidations of the same token share one round trip', async () => {
    let version = 1;
    const { url, hits } = await httpServer((req, res) => {
      if (req.url === '/v1/events') return sseHead(res);
      if (req.method === 'POST' && req.url?.endsWith('/invalidate')) version++;
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(token(version)));
      }, 20);
    });
    const c = client({ url });
    const t = await c.getAccessToken('a');
    const results = await Promise.all(Array.from({ length: 10 }, () => c.invalidate('a', { accessToken: t })));
    expect(new Set(results.map((r) => r.version))).toEqual(new Set([2]));
    expect(hits.filter((h) => h.includes('/invalidate'))).toHaveLength(1);
  });
});
