import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { sendHtml, sendJson, startLoopbackServer, type RecordedRequest } from '../src/testing';

const hasIpv6Loopback = Object.values(networkInterfaces()).some((list) => list?.some((i) => i.family === 'IPv6' && i.address === '::1'));

describe('startLoopbackServer', () => {
  it('binds to 127.0.0.1 and records method, path, query, headers, raw body and parsed bodies', async () => {
    const server = await startLoopbackServer((_req, res, request) => sendJson(res, 201, { got: request.form ?? request.json }));
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const form = await fetch(`${server.url}/a/b?x=1&y=two`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-test': 'yes' },
        body: 'k=v&n=2',
      });
      expect(form.status).toBe(201);
      expect(await form.json()).toEqual({ got: { k: 'v', n: '2' } });
      // JSON under a form content type (the Go FYERS SDK does this): both views recorded.
      await fetch(`${server.url}/j`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '{"a":1}' });
      await fetch(`${server.url}/empty`);

      const [first, second, third] = server.calls;
      expect(first).toMatchObject({ method: 'POST', path: '/a/b', query: { x: '1', y: 'two' }, rawBody: 'k=v&n=2', form: { k: 'v', n: '2' } });
      expect(first?.headers['x-test']).toBe('yes');
      expect(first?.json).toBeUndefined();
      expect(second).toMatchObject({ path: '/j', json: { a: 1 } });
      expect(third).toMatchObject({ method: 'GET', path: '/empty', query: {}, rawBody: '' });
      expect(third?.json).toBeUndefined();
    } finally {
      await server.close();
    }
  });

  it('answers 500 when the handler throws and keeps the error', async () => {
    const server = await startLoopbackServer(() => {
      throw new Error('boom');
    });
    try {
      const response = await fetch(server.url);
      expect(response.status).toBe(500);
      expect(server.handlerErrors).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('close() ends connections a handler never answered', async () => {
    const server = await startLoopbackServer(() => undefined);
    const pending = fetch(server.url).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await server.close();
    expect(await pending).toBeInstanceOf(Error);
    await server.close(); // idempotent
  });

  it('records no receivedAt without a clock and answers with the port it got', async () => {
    const server = await startLoopbackServer((_req, res) => sendJson(res, 200, {}));
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      await fetch(server.url);
      expect(server.calls[0]).not.toHaveProperty('receivedAt');
    } finally {
      await server.close();
    }
  });
});

describe('startLoopbackServer options', () => {
  it('port: listens on the given port, and refuses one already taken', async () => {
    const probe = await startLoopbackServer(() => undefined);
    const { port } = probe;
    await probe.close();

    const server = await startLoopbackServer((_req, res) => sendJson(res, 200, { ok: true }), { port });
    try {
      expect(server.port).toBe(port);
      expect(server.url).toBe(`http://127.0.0.1:${port}`);
      expect(await (await fetch(`${server.url}/x`)).json()).toEqual({ ok: true });
      await expect(startLoopbackServer(() => undefined, { port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await server.close();
    }
  });

  it('host: listens on that address and puts it in the url (IPv6 in brackets)', async () => {
    const v4 = await startLoopbackServer((_req, res) => sendJson(res, 200, {}), { host: '127.0.0.1' });
    try {
      expect(v4.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(v4.url)).status).toBe(200);
    } finally {
      await v4.close();
    }
    if (!hasIpv6Loopback) return;
    const v6 = await startLoopbackServer((_req, res) => sendJson(res, 200, { path: _req.url }), { host: '::1' });
    try {
      expect(v6.url).toBe(`http://[::1]:${v6.port}`);
      expect(await (await fetch(`${v6.url}/six`)).json()).toEqual({ path: '/six' });
      expect(v6.calls[0]?.path).toBe('/six');
    } finally {
      await v6.close();
    }
  });

  it('now: stamps each record with receivedAt from the injected clock, before the handler runs', async () => {
    let clock = 1_000;
    const seen: number[] = [];
    const server = await startLoopbackServer(
      (_req, res, request) => {
        seen.push(request.receivedAt);
        sendJson(res, 200, {});
      },
      { now: () => clock },
    );
    try {
      await fetch(server.url);
      clock = 61_000;
      await fetch(`${server.url}/later`, { method: 'POST', body: '{"a":1}' });
      expect(server.calls.map((c) => [c.path, c.receivedAt])).toEqual([
        ['/', 1_000],
        ['/later', 61_000],
      ]);
      expect(seen).toEqual([1_000, 61_000]);
      expect(server.calls[1]).toMatchObject({ method: 'POST', rawBody: '{"a":1}', json: { a: 1 } });
    } finally {
      await server.close();
    }
  });

  it('record + calls: two servers keep one log, each record labelled with its host', async () => {
    type Labelled = RecordedRequest & { host: 'login' | 'api'; at: number };
    const calls: Labelled[] = [];
    let tick = 0;
    const start = (host: Labelled['host']) =>
      startLoopbackServer((_req, res, request) => sendJson(res, 200, { host: request.host }), {
        calls,
        record: (request) => ({ ...request, host, at: ++tick }),
      });
    const login = await start('login');
    const api = await start('api');
    try {
      expect(login.calls).toBe(calls);
      expect(api.calls).toBe(calls);
      expect(await (await fetch(`${login.url}/in`)).json()).toEqual({ host: 'login' });
      expect(await (await fetch(`${api.url}/data?x=1`)).json()).toEqual({ host: 'api' });
      expect(calls).toMatchObject([
        { host: 'login', at: 1, path: '/in' },
        { host: 'api', at: 2, path: '/data', query: { x: '1' } },
      ]);
    } finally {
      await Promise.all([login.close(), api.close()]);
    }
  });

  it('record: can reshape what is stored (the handler sees the same object)', async () => {
    const server = await startLoopbackServer(
      (_req, res, request) => {
        expect(server.calls.at(-1)).toBe(request);
        sendJson(res, 200, {});
      },
      { record: ({ form, ...request }): RecordedRequest => (form && request.json === undefined ? { ...request, form } : request) },
    );
    try {
      await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '{"a":1}' });
      await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'k=v' });
      expect(server.calls[0]).not.toHaveProperty('form');
      expect(server.calls[0]?.json).toEqual({ a: 1 });
      expect(server.calls[1]?.form).toEqual({ k: 'v' });
      expect(server.handlerErrors).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('failureText: the body of the 500 when the handler throws', async () => {
    const server = await startLoopbackServer(
      () => {
        throw new Error('boom');
      },
      { failureText: 'fake broker: handler failed' },
    );
    try {
      const response = await fetch(server.url);
      expect(response.status).toBe(500);
      expect(await response.text()).toBe('fake broker: handler failed');
    } finally {
      await server.close();
    }
  });
});

describe('sendHtml', () => {
  it('writes an HTML page with its length and extra headers', async () => {
    const server = await startLoopbackServer((_req, res) => sendHtml(res, 400, '<p>ünïcode</p>', { 'x-extra': '1' }));
    try {
      const response = await fetch(server.url);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength('<p>ünïcode</p>')));
      expect(response.headers.get('x-extra')).toBe('1');
      expect(await response.text()).toBe('<p>ünïcode</p>');
    } finally {
      await server.close();
    }
  });
});
