import { createServer, type Server, type Socket } from 'node:net';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { NetworkError } from '@tokens/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createBrokerHttp } from '../src';
import { sendJson, startLoopbackServer, type LoopbackHandler, type LoopbackServer } from '../src/testing';

// The default transport (node:http with keep-alive) against real loopback servers; the
// failure modes it shares with fetch are covered in http-client.test.ts.

const servers: LoopbackServer[] = [];
const rawServers: RawServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(rawServers.splice(0).map((s) => s.close()));
});

async function serve(handler: LoopbackHandler): Promise<LoopbackServer> {
  const server = await startLoopbackServer(handler);
  servers.push(server);
  return server;
}

interface RawServer {
  url: string;
  connections(): number;
  /** Stops listening and destroys every open connection. */
  close(): Promise<void>;
}

/** A raw TCP server answering each request with `answer(connectionIndex, requestIndexOnIt)`. */
async function rawServer(answer: (connection: number, request: number) => string | 'hang-up' | 'reset'): Promise<RawServer> {
  let connections = 0;
  const open = new Set<Socket>();
  const server: Server = createServer((socket) => {
    const connection = connections++;
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    let requests = 0;
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      for (let end; (end = buffered.indexOf('\r\n\r\n')) >= 0; ) {
        buffered = buffered.slice(end + 4);
        const reply = answer(connection, requests++);
        if (reply === 'hang-up') socket.destroy();
        else if (reply === 'reset') socket.resetAndDestroy();
        else socket.write(reply);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  const raw: RawServer = {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () => {
      for (const socket of open) socket.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
  rawServers.push(raw);
  return raw;
}

const okReply = (body: string) => `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body}`;

describe('default transport', () => {
  it('keeps the connection alive across requests', async () => {
    const seen = new Set<string>();
    const server = await serve((req, res) => {
      seen.add(`${req.socket.remotePort}`);
      sendJson(res, 200, { ok: true });
    });
    const http = createBrokerHttp({ broker: 'schwab', baseUrl: server.url });
    for (let i = 0; i < 5; i++) expect((await http.request('/v1/ping')).json()).toEqual({ ok: true });
    expect(seen.size).toBe(1);
  });

  it('sends form and JSON bodies with their type and length, and fetch-like default headers', async () => {
    const server = await serve((_req, res) => sendJson(res, 200, {}));
    const http = createBrokerHttp({ broker: 'schwab', baseUrl: server.url });
    await http.request('/v1/oauth/token', { method: 'POST', form: { grant_type: 'refresh_token', note: 'é' } });
    await http.request('/v1/json', { method: 'POST', json: { a: 'é' } });
    const [form, json] = server.calls;
    expect(form!.rawBody).toBe('grant_type=refresh_token&note=%C3%A9');
    expect(form!.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=UTF-8');
    expect(form!.headers['content-length']).toBe(String(Buffer.byteLength(form!.rawBody)));
    expect(json!.rawBody).toBe('{"a":"é"}');
    expect(json!.headers['content-length']).toBe(String(Buffer.byteLength('{"a":"é"}')));
    expect(json!.headers).toMatchObject({ 'content-type': 'application/json', accept: '*/*', 'user-agent': 'node' });
    expect(json!.headers['accept-encoding']).toContain('gzip');
  });

  it('decodes gzip, deflate (zlib and raw) and brotli bodies, and keeps every Set-Cookie', async () => {
    const body = JSON.stringify({ access_token: 'a'.repeat(200) });
    const codings: Record<string, Buffer> = {
      gzip: gzipSync(body),
      deflate: deflateSync(body),
      'deflate-raw': deflateRawSync(body),
      br: brotliCompressSync(body),
    };
    const server = await serve((req, res) => {
      const coding = req.url!.slice(1);
      res.writeHead(200, [
        ['content-type', 'application/json'],
        ['content-encoding', coding === 'deflate-raw' ? 'deflate' : coding],
        ['set-cookie', 'a=1'],
        ['set-cookie', 'b=2'],
      ]);
      res.end(codings[coding]);
    });
    const http = createBrokerHttp({ broker: 'kite', baseUrl: server.url });
    for (const coding of Object.keys(codings)) {
      const response = await http.request(`/${coding}`);
      expect(response.bodyText).toBe(body);
      expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    }
  });

  it('a body that does not decode → retryable NetworkError', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end('not gzip at all');
    });
    const http = createBrokerHttp({ broker: 'dhan', baseUrl: server.url });
    const error = await http.request('/v2/profile').catch((e: unknown) => e);
    expect(NetworkError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe('Could not reach dhan for GET /v2/profile: the response body could not be decompressed (ERR_BODY_DECODE).');
  });

  it('retries once on a new connection when a reused one is closed under the request', async () => {
    // Connection 0 answers one request, then hangs up on the next (as a server closing an
    // idle keep-alive socket does); connection 1 answers.
    const server = await rawServer((connection, request) => (connection === 0 && request > 0 ? 'hang-up' : okReply(`{"c":${connection}}`)));
    const http = createBrokerHttp({ broker: 'schwab', baseUrl: server.url });
    expect((await http.request('/first')).json()).toEqual({ c: 0 });
    expect((await http.request('/second', { method: 'POST', form: { a: '1' } })).json()).toEqual({ c: 1 });
    expect(server.connections()).toBe(2);
  });

  it('does not retry a reset on a reused connection: the broker may have read the request', async () => {
    const server = await rawServer((connection, request) => (connection === 0 && request > 0 ? 'reset' : okReply('{}')));
    const http = createBrokerHttp({ broker: 'schwab', baseUrl: server.url });
    await http.request('/first');
    const error = await http.request('/v1/oauth/token', { method: 'POST' }).catch((e: unknown) => e);
    expect(NetworkError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('ECONNRESET');
    expect(server.connections()).toBe(1);
  });

  it('does not retry a hang-up on a new connection', async () => {
    const server = await rawServer(() => 'hang-up');
    const http = createBrokerHttp({ broker: 'schwab', baseUrl: server.url });
    const error = await http.request('/v1/oauth/token', { method: 'POST' }).catch((e: unknown) => e);
    expect(NetworkError.isInstance(error)).toBe(true);
    expect(server.connections()).toBe(1);
  });

  it('a connection that breaks in the middle of the body → NetworkError', async () => {
    const server = await rawServer(() => 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"partial":');
    const http = createBrokerHttp({ broker: 'kotak', baseUrl: server.url, timeoutMs: 5_000 });
    const pending = http.request('/x').catch((e: unknown) => e);
    // The server keeps the socket open; closing it breaks the body.
    await new Promise((r) => setTimeout(r, 50));
    await server.close();
    const error = await pending;
    expect(NetworkError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/^Could not reach kotak for GET \/x: /);
  });

  it('returns a redirect as it is, and follows one when asked to', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/old') {
        res.writeHead(302, { location: '/new' });
        res.end();
      } else sendJson(res, 200, { at: req.url });
    });
    const manual = await createBrokerHttp({ broker: 'fyers', baseUrl: server.url }).request('/old');
    expect(manual.status).toBe(302);
    expect(manual.headers.get('location')).toBe('/new');
    const followed = await createBrokerHttp({ broker: 'fyers', baseUrl: server.url, redirect: 'follow' }).request('/old');
    expect(followed.json()).toEqual({ at: '/new' });
  });

  it("goes through Node's fetch when the app installed its own undici dispatcher (a proxy or a mock)", async () => {
    const server = await serve((_req, res) => sendJson(res, 200, {}));
    const key = Symbol.for('undici.globalDispatcher.1');
    const g = globalThis as Record<symbol, unknown>;
    const before = g[key];
    const dispatched: string[] = [];
    // The undici Dispatcher contract: dispatch(options, handler); this one refuses every request.
    class ProxyAgent {
      dispatch(options: { origin: string; path: string }, handler: { onError(error: Error): void }) {
        dispatched.push(`${options.origin}${options.path}`);
        queueMicrotask(() => handler.onError(Object.assign(new Error('proxy refused'), { code: 'ECONNREFUSED' })));
        return true;
      }
    }
    g[key] = new ProxyAgent();
    try {
      const error = await createBrokerHttp({ broker: 'kite', baseUrl: server.url }).request('/session/token').catch((e: unknown) => e);
      expect(dispatched).toEqual([`${server.url}/session/token`]);
      expect(NetworkError.isInstance(error)).toBe(true);
      expect(server.calls).toHaveLength(0);
    } finally {
      g[key] = before;
    }
    expect((await createBrokerHttp({ broker: 'kite', baseUrl: server.url }).request('/session/token')).status).toBe(200);
    expect(server.calls).toHaveLength(1);
  });
});
