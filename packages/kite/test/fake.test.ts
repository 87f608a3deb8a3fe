import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createFakeClock } from '@tokens/core/testing';
import { startFakeKite } from '../src/fake';
import { API_KEY, API_SECRET, ist, PASSWORD, sha256 } from './helpers';

// The success bodies' keys, in the order of Zerodha's kiteconnect-mocks fixtures.
const GENERATE_SESSION_KEYS = ['user_type', 'email', 'user_name', 'user_shortname', 'broker', 'exchanges', 'products', 'order_types', 'avatar_url', 'user_id', 'api_key', 'access_token', 'public_token', 'enctoken', 'refresh_token', 'silo', 'login_time', 'meta'];
const PROFILE_KEYS = ['user_id', 'user_type', 'email', 'user_name', 'user_shortname', 'broker', 'exchanges', 'products', 'order_types', 'avatar_url', 'meta'];
const TOKEN_EXCEPTION = '{"status":"error","message":"Incorrect `api_key` or `access_token`.","data":null,"error_type":"TokenException"}';

async function withFake(fn: (fake: Awaited<ReturnType<typeof startFakeKite>>, clock: ReturnType<typeof createFakeClock>) => Promise<void>, refreshTokens = false) {
  const clock = createFakeClock(ist(2026, 1, 5, 8, 55, ));
  const fake = await startFakeKite({ clock, apiKey: API_KEY, apiSecret: API_SECRET, redirectUrl: 'http://127.0.0.1:8765/cb?x=1', refreshTokens, user: { password: PASSWORD } });
  try {
    await fn(fake, clock);
  } finally {
    await fake.close();
  }
}

/**
 * Requests built exactly as kiteconnectjs 5.x builds them (lib/connect.ts `request()`): a form
 * body from qs.stringify for POST, params in the query for GET/DELETE, `X-Kite-Version: 3`,
 * `Content-Type: application/x-www-form-urlencoded` on every request, `Authorization: token
 * api_key:access_token` once a session exists. Responses are read as its interceptor reads them:
 * `content-type` must be exactly `application/json`; `error_type` means failure; else `data`.
 */
async function sdkCall(root: string, method: 'GET' | 'POST' | 'DELETE', path: string, params: Record<string, string>, accessToken?: string) {
  const headers: Record<string, string> = { 'X-Kite-Version': '3', 'User-Agent': 'kiteconnectjs/5.1.0', 'Content-Type': 'application/x-www-form-urlencoded' };
  if (accessToken) headers.Authorization = `token ${API_KEY}:${accessToken}`;
  const query = method === 'POST' ? '' : `?${new URLSearchParams(params)}`;
  const res = await fetch(`${root}${path}${query}`, { method, headers, ...(method === 'POST' ? { body: new URLSearchParams(params).toString() } : {}) });
  const contentType = res.headers.get('content-type');
  const body = (await res.json()) as { data?: unknown; error_type?: string; message?: string };
  if (contentType !== 'application/json') throw new Error(`kiteconnectjs would see an unknown content type ${contentType}`);
  if (body.error_type) return { ok: false as const, status: res.status, error: body };
  return { ok: true as const, status: res.status, data: body.data as Record<string, unknown> };
}

describe('the fake, as the official kiteconnectjs client would use it (its `root` pointed at the fake)', () => {
  it('generateSession → getProfile → invalidateAccessToken work unchanged; a dead session answers 403 TokenException', async () => {
    await withFake(async (fake) => {
      const requestToken = new URL(await fake.browserLogin(`${fake.loginUrl}?api_key=${API_KEY}&v=3`)).searchParams.get('request_token')!;
      const session = await sdkCall(fake.url, 'POST', '/session/token', { api_key: API_KEY, request_token: requestToken, checksum: sha256(API_KEY + requestToken + API_SECRET) });
      expect(session.ok).toBe(true);
      const data = session.ok ? session.data : {};
      expect(Object.keys(data)).toEqual(GENERATE_SESSION_KEYS);
      expect(data).toMatchObject({ user_type: 'individual', broker: 'ZERODHA', user_id: 'AB1234', api_key: API_KEY, refresh_token: '', silo: '', login_time: '2026-01-05 08:55:00', meta: { demat_consent: 'physical' } });
      // pykiteconnect parses login_time when it is 19 characters long.
      expect((data.login_time as string).length).toBe(19);
      const accessToken = data.access_token as string;

      const profile = await sdkCall(fake.url, 'GET', '/user/profile', {}, accessToken);
      expect(profile.ok && Object.keys(profile.data)).toEqual(PROFILE_KEYS);
      expect(profile.ok && profile.data).toMatchObject({ user_id: 'AB1234', avatar_url: null });

      const logout = await sdkCall(fake.url, 'DELETE', '/session/token', { api_key: API_KEY, access_token: accessToken }, accessToken);
      expect(logout).toEqual({ ok: true, status: 200, data: true });
      const after = await sdkCall(fake.url, 'GET', '/user/profile', {}, accessToken);
      expect(after).toMatchObject({ ok: false, status: 403, error: { error_type: 'TokenException' } });
    });
  });

  it('renewAccessToken works for an approved app and refuses a normal app', async () => {
    await withFake(async (fake) => {
      const { refreshToken } = fake.mintSession();
      const renewed = await sdkCall(fake.url, 'POST', '/session/refresh_token', { api_key: API_KEY, refresh_token: refreshToken, checksum: sha256(API_KEY + refreshToken + API_SECRET) });
      expect(renewed.ok && renewed.data).toMatchObject({ refresh_token: refreshToken, access_token: expect.stringMatching(/^[A-Za-z0-9]{32}$/) });
    }, true);
    await withFake(async (fake) => {
      expect(fake.mintSession().refreshToken).toBe('');
      const refused = await sdkCall(fake.url, 'POST', '/session/refresh_token', { api_key: API_KEY, refresh_token: 'x'.repeat(32), checksum: sha256(`${API_KEY}${'x'.repeat(32)}${API_SECRET}`) });
      expect(refused).toMatchObject({ ok: false, status: 403, error: { error_type: 'TokenException' } });
    });
  });
});

describe('fake specifics', () => {
  it('answers exact bodies: 403 TokenException for an unknown session, and sessions die at 06:00 IST by the injected clock', async () => {
    await withFake(async (fake, clock) => {
      const res = await fetch(`${fake.url}/user/profile`, { headers: { 'X-Kite-Version': '3', Authorization: `token ${API_KEY}:nope` } });
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.text()).toBe(TOKEN_EXCEPTION);
      const s = fake.mintSession();
      expect(s.expiresAt).toBe(ist(2026, 1, 6, 6, 0));
      await clock.advanceTo(ist(2026, 1, 6, 5, 59));
      expect(fake.isActive(s.accessToken)).toBe(true);
      await clock.advanceTo(ist(2026, 1, 6, 6, 0));
      expect(fake.isActive(s.accessToken)).toBe(false);
    });
  });

  it('requires X-Kite-Version: 3 and answers unknown routes and methods with the error envelope', async () => {
    await withFake(async (fake) => {
      const noVersion = await fetch(`${fake.url}/user/profile`);
      expect(noVersion.status).toBe(400);
      expect(await noVersion.json()).toEqual({ status: 'error', message: 'Missing or invalid `X-Kite-Version` header: send 3.', data: null, error_type: 'InputException' });
      const notFound = await fetch(`${fake.url}/orders`, { headers: { 'X-Kite-Version': '3' } });
      expect([notFound.status, await notFound.json()]).toEqual([404, { status: 'error', message: 'Route not found', data: null, error_type: 'GeneralException' }]);
      const wrongMethod = await fetch(`${fake.url}/user/profile`, { method: 'POST', headers: { 'X-Kite-Version': '3' } });
      expect(wrongMethod.status).toBe(405);
      const missing = await fetch(`${fake.url}/session/token`, { method: 'POST', headers: { 'X-Kite-Version': '3', 'content-type': 'application/x-www-form-urlencoded' }, body: `api_key=${API_KEY}` });
      expect(await missing.json()).toEqual({ status: 'error', message: 'Missing `request_token`.', data: null, error_type: 'InputException' });
    });
  });

  it('serves a login form; a wrong password stays on the page; an unknown api_key is refused; the redirect keeps the registered URL query', async () => {
    await withFake(async (fake) => {
      const page = await fetch(`${fake.loginUrl}?v=3&api_key=${API_KEY}&redirect_params=${encodeURIComponent('state=a&next=/x')}`);
      const html = await page.text();
      expect(page.status).toBe(200);
      expect(html).toContain('<form method="post" action="/connect/login">');
      expect(html).toContain('name="redirect_params" value="state=a&#38;next=/x"');
      await expect(fake.browserLogin(`${fake.loginUrl}?v=3&api_key=${API_KEY}`, { password: 'wrong' })).rejects.toThrow('the login was refused (HTTP 200)');
      await expect(fake.browserLogin(`${fake.loginUrl}?v=3&api_key=other`)).rejects.toThrow('HTTP 400');
      await expect(fake.browserLogin('https://kite.zerodha.com/connect/login?v=3')).rejects.toThrow("is not this fake's login page");
      const redirected = new URL(await fake.browserLogin(`${fake.loginUrl}?v=3&api_key=${API_KEY}&redirect_params=${encodeURIComponent('state=a&next=/x')}`));
      expect(`${redirected.origin}${redirected.pathname}`).toBe('http://127.0.0.1:8765/cb');
      expect([...redirected.searchParams.keys()]).toEqual(['x', 'action', 'type', 'status', 'request_token', 'state', 'next']);
      expect(redirected.searchParams.get('next')).toBe('/x');
    });
  });

  it('fault modes hit the next API request(s) only, never the login page', async () => {
    await withFake(async (fake) => {
      const profile = () => fetch(`${fake.url}/user/profile`, { headers: { 'X-Kite-Version': '3' } });
      fake.fault('server-error', { times: 2 });
      await fake.browserLogin(`${fake.loginUrl}?v=3&api_key=${API_KEY}`);
      expect((await profile()).status).toBe(500);
      expect((await profile()).status).toBe(500);
      expect((await profile()).status).toBe(403);
      fake.fault('rate-limit', { retryAfterSeconds: 3 });
      const limited = await profile();
      expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '3']);
      fake.fault('malformed');
      await expect((await profile()).json()).rejects.toThrow();
      fake.fault('reset');
      await expect(profile()).rejects.toThrow();
      fake.failNext({ status: 503, errorType: 'NetworkException', message: 'OMS down', headers: { 'retry-after': '1' } });
      const down = await profile();
      expect([down.status, await down.json()]).toEqual([503, { status: 'error', message: 'OMS down', data: null, error_type: 'NetworkException' }]);
    });
  });

  it('binds a given port on 127.0.0.1 when asked (stable URLs for the sandbox)', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = probe.address() as { port: number };
        probe.close(() => resolve(p));
      });
    });
    const fake = await startFakeKite({ port, apiKey: API_KEY, apiSecret: API_SECRET });
    try {
      expect(fake.url).toBe(`http://127.0.0.1:${port}`);
      expect(fake.loginUrl).toBe(`http://127.0.0.1:${port}/connect/login`);
      expect((await fetch(`${fake.loginUrl}?v=3&api_key=${API_KEY}`)).status).toBe(200);
      expect(fake.calls.map((c) => [c.method, c.path, c.query])).toEqual([['GET', '/connect/login', { v: '3', api_key: API_KEY }]]);
    } finally {
      await fake.close();
    }
  });
});
