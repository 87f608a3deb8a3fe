// The daemon's side of the dashboard without a browser: static files and the SPA fallback,
// security headers, sign-in (token and password), the session cookie, CSRF and sign-out.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, parseConfig, startDaemon, type Daemon } from '../src/index';

const API_TOKEN = 'routes-test-api-token-0123456789';
const PASSWORD = 'correct horse battery';
const dir = mkdtempSync(join(tmpdir(), 'tokens-dashboard-routes-'));
const staticDir = join(dir, 'dashboard');
let daemon: Daemon;

beforeAll(async () => {
  mkdirSync(join(staticDir, 'assets'), { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>tokens</title><div id="root"></div>');
  writeFileSync(join(staticDir, 'assets', 'index-abc123.js'), 'console.log("app")');
  writeFileSync(join(dir, 'secret.txt'), 'outside the static folder');
  const loaded = parseConfig({ store: { type: 'file', dir: './store' }, http: { listen: '127.0.0.1:0', apiToken: API_TOKEN, dashboardPassword: PASSWORD } }, { baseDir: dir, environment: {} });
  daemon = await startDaemon({ loaded, logger: createLogger({ level: 'error', pretty: false }), staticDir });
});

afterAll(async () => {
  await daemon?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${daemon.url}${path}`, { headers });
const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(`${daemon.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });

async function signIn(body: Record<string, string>): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const res = await send('POST', '/auth/session', body);
  expect(res.status).toBe(200);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const { csrf } = (await res.json()) as { csrf: string };
  return { cookie: setCookie.split(';')[0]!, csrf, setCookie };
}

describe('static files', () => {
  it('serves the page with a strict content security policy, and the SPA fallback for app routes', async () => {
    for (const path of ['/', '/events', '/deep/link?login=ok&account=x']) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<div id="root">');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
    const js = await get('/assets/index-abc123.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await get('/assets/missing-000.js')).status).toBe(404);
  });

  it('never serves files outside the folder, and never answers API paths with the page', async () => {
    for (const path of ['/../secret.txt', '/..%2fsecret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      expect(await (await get(path)).text()).not.toContain('outside the static folder');
    }
    expect((await get('/%E0%A4%A')).status).toBe(400);
    const unknown = await get('/v1/no-such-thing', { authorization: `Bearer ${API_TOKEN}` });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    expect((await get('/api/nothing')).status).toBe(404);
  });
});

describe('sessions', () => {
  it('refuses a wrong token, and signs in with the API token into an httpOnly SameSite=Strict cookie', async () => {
    const bad = await send('POST', '/auth/session', { token: 'wrong-token-000000000000' });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('set-cookie')).toBeNull();
    expect((await get('/v1/accounts')).status).toBe(401);

    const { cookie, csrf, setCookie } = await signIn({ token: API_TOKEN });
    expect(setCookie).toMatch(/^tokens_session=[A-Za-z0-9_-]+; HttpOnly; SameSite=Strict; Path=\//);
    expect(csrf.length).toBeGreaterThanOrEqual(32);
    expect(await (await get('/v1/accounts', { cookie })).json()).toEqual({ accounts: [] });
    expect(await (await get('/auth/session', { cookie })).json()).toEqual({ authenticated: true, csrf });
  });

  it('signs in with the dashboard password', async () => {
    expect((await send('POST', '/auth/session', { password: 'not the password' })).status).toBe(401);
    const { cookie } = await signIn({ password: PASSWORD });
    expect((await get('/v1/accounts', { cookie })).status).toBe(200);
  });

  it('needs the CSRF token on every mutating request made with the cookie', async () => {
    const { cookie, csrf } = await signIn({ token: API_TOKEN });
    const without = await send('POST', '/v1/accounts/nobody/refresh', undefined, { cookie });
    expect(without.status).toBe(403);
    expect(((await without.json()) as { error: { code: string } }).error.code).toBe('CSRF');
    expect((await send('POST', '/v1/accounts/nobody/refresh', undefined, { cookie, 'x-csrf-token': 'guess' })).status).toBe(403);
    // With it, the request reaches the API (which knows no such account).
    expect((await send('POST', '/v1/accounts/nobody/refresh', undefined, { cookie, 'x-csrf-token': csrf })).status).toBe(404);
    expect((await send('DELETE', '/auth/session', undefined, { cookie })).status).toBe(403);
  });

  it('signs out: the cookie is cleared and the session is dead on the server', async () => {
    const { cookie, csrf } = await signIn({ token: API_TOKEN });
    const out = await send('DELETE', '/auth/session', undefined, { cookie, 'x-csrf-token': csrf });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await get('/v1/accounts', { cookie })).status).toBe(401);
    expect((await get('/auth/session', { cookie })).status).toBe(401);
  });

  it('slows down guessing: after 10 failed sign-ins an address waits', async () => {
    // Every earlier test ended with a good sign-in, which resets this address's count.
    for (let i = 0; i < 10; i++) expect((await send('POST', '/auth/session', { token: `guess-${i}-0000000000000` })).status).toBe(401);
    const locked = await send('POST', '/auth/session', { token: API_TOKEN });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Bots holding the API token are not affected.
    expect((await get('/v1/accounts', { authorization: `Bearer ${API_TOKEN}` })).status).toBe(200);
  });
});
