import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeClock } from '@tokens/core/testing';
import { decodeJwtPayload } from '@tokens/broker-utils';
import { FAKE_FYERS_ANSWERS, startFakeFyers, type FakeFyersServer } from '../src/fake';
import { APP_ID, APP_ID_HASH, DAY, ist } from './helpers';

let fake: FakeFyersServer;
afterEach(() => fake?.close());

const clockAt = (local: string) => createFakeClock(ist(local));

/** A plain HTTP call, shaped like the official SDKs' requests. */
async function call(path: string, init: { method?: string; json?: unknown; contentType?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.json !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
  const response = await fetch(`${fake.url}${path}`, {
    method: init.method ?? (init.json === undefined ? 'GET' : 'POST'),
    headers,
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
  });
  const text = await response.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

const refreshBody = (refreshToken: string, pin = '1234') => ({ grant_type: 'refresh_token', appIdHash: APP_ID_HASH, refresh_token: refreshToken, pin });

describe('fake FYERS: wire format', () => {
  it('defaults to the research test vector: sha256("ABCDEFGH12-100:SECRETKEY1") is the accepted appIdHash', async () => {
    fake = await startFakeFyers({ clock: clockAt('2026-01-05T10:00') });
    expect(fake.appId).toBe(APP_ID);
    const { refreshToken } = fake.issueSession();
    const ok = await call('/validate-refresh-token', { json: refreshBody(refreshToken) });
    expect(ok.status).toBe(200);
    expect(Object.keys(ok.body)).toEqual(['s', 'code', 'message', 'access_token']);
    expect(ok.body).toMatchObject({ s: 'ok', code: 200, message: '' });
    expect(ok.headers.get('content-type')).toBe('application/json');

    const bad = await call('/validate-refresh-token', { json: { ...refreshBody(refreshToken), appIdHash: 'f'.repeat(64) } });
    expect(bad).toMatchObject({ status: 400, body: { s: 'error', code: -371, message: 'Please provide sha256 hash of appId and app secret' } });
  });

  it('reads a JSON body under either content type (the Go SDK labels JSON as x-www-form-urlencoded) and ignores `version`', async () => {
    fake = await startFakeFyers({ clock: clockAt('2026-01-05T10:00') });
    const { refreshToken } = fake.issueSession();
    const form = await call('/validate-refresh-token', { json: refreshBody(refreshToken), contentType: 'application/x-www-form-urlencoded', headers: { version: '3' } });
    expect(form.status).toBe(200);
    const none = await fetch(`${fake.url}/validate-refresh-token`, { method: 'POST', body: JSON.stringify(refreshBody(refreshToken)) });
    expect(none.status).toBe(200);
    // A real form body has no grant_type FYERS can read.
    const realForm = await fetch(`${fake.url}/validate-refresh-token`, { method: 'POST', body: new URLSearchParams(refreshBody(refreshToken)) });
    expect(await realForm.json()).toEqual(FAKE_FYERS_ANSWERS.invalidGrantType.body);
  });

  it('records each request with its arrival time on the fake clock; a JSON body under a form content type has only its JSON view', async () => {
    const clock = clockAt('2026-01-05T10:00');
    fake = await startFakeFyers({ clock });
    const { refreshToken } = fake.issueSession();
    await call('/validate-refresh-token', { json: refreshBody(refreshToken), contentType: 'application/x-www-form-urlencoded' });
    await clock.advance(60_000);
    await fetch(`${fake.url}/validate-refresh-token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token' }) });
    const [json, form] = fake.calls;
    expect(json).toMatchObject({ method: 'POST', path: '/api/v3/validate-refresh-token', receivedAt: ist('2026-01-05T10:00'), json: refreshBody(refreshToken) });
    expect(json).not.toHaveProperty('form');
    expect(form).toMatchObject({ receivedAt: ist('2026-01-05T10:00') + 60_000, form: { grant_type: 'refresh_token' } });
    expect(form?.json).toBeUndefined();
  });

  it('validate-authcode: −441 for a wrong grant, −371 for a bad hash, −374 without a code, −17 for an unknown code; both tokens on success', async () => {
    fake = await startFakeFyers({ clock: clockAt('2026-01-05T10:00') });
    const body = { grant_type: 'authorization_code', appIdHash: APP_ID_HASH, code: 'x.y.z' };
    expect(await call('/validate-authcode', { json: { ...body, grant_type: 'code' } })).toMatchObject({ status: 400, body: { s: 'error', code: -441, message: 'invalid grant type' } });
    expect(await call('/validate-authcode', { json: { ...body, appIdHash: 'nope' } })).toMatchObject({ status: 400, body: { code: -371 } });
    expect(await call('/validate-authcode', { json: { ...body, code: '' } })).toMatchObject({ status: 400, body: { code: -374, message: 'Please provide authorization code' } });
    expect(await call('/validate-authcode', { json: body })).toMatchObject({ status: 401, body: { code: -17 } });

    const redirected = new URL(await fake.browserLogin(`${fake.url}/generate-authcode?client_id=${APP_ID}&redirect_uri=${encodeURIComponent('http://127.0.0.1:1/cb')}&response_type=code&state=abc`));
    const ok = await call('/validate-authcode', { json: { ...body, code: redirected.searchParams.get('auth_code') } });
    expect(ok.status).toBe(200);
    expect(Object.keys(ok.body)).toEqual(['s', 'code', 'message', 'access_token', 'refresh_token']);
  });

  it('generate-authcode: 302 to redirect_uri?s=ok&code=200&auth_code=…&state=…; wrong client_id → −352; a registered redirect_uri must match', async () => {
    fake = await startFakeFyers({ clock: clockAt('2026-01-05T10:00'), redirectUri: 'https://example.com/cb?x=1' });
    const authorize = (q: Record<string, string>) => fetch(`${fake.url}/generate-authcode?${new URLSearchParams(q)}`, { redirect: 'manual' });
    const good = { client_id: APP_ID, redirect_uri: 'https://example.com/cb?x=1', response_type: 'code', state: 's 1' };
    const response = await authorize(good);
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect([...location.searchParams.keys()]).toEqual(['x', 's', 'code', 'auth_code', 'state']);
    expect(location.searchParams.get('state')).toBe('s 1');
    const code = decodeJwtPayload(location.searchParams.get('auth_code')!);
    expect(code).toMatchObject({ iss: 'api.login.fyers.in', sub: 'auth_code' });
    expect(code.exp! - code.iat!).toBe(30_000);

    expect(await (await authorize({ ...good, client_id: 'OTHER-100' })).json()).toEqual({ s: 'error', code: -352, message: 'Invalid App ID' });
    expect((await authorize({ ...good, redirect_uri: 'https://evil.example/cb' })).status).toBe(400);
    expect((await authorize({ ...good, response_type: 'token' })).status).toBe(400);
    await expect(fake.browserLogin('https://api-t1.fyers.in/api/v3/generate-authcode')).rejects.toThrow(/not this fake/);
  });

  it('access tokens are JWTs whose exp is the next 06:00 IST (also when minted before 06:00); refresh tokens live 15 days', async () => {
    const clock = clockAt('2026-01-05T03:00');
    fake = await startFakeFyers({ clock });
    const early = fake.issueSession();
    expect(early.expiresAt).toBe(ist('2026-01-05T06:00'));
    expect(decodeJwtPayload(early.accessToken)).toMatchObject({ iss: 'api.fyers.in', sub: 'access_token', exp: ist('2026-01-05T06:00') / 1000 });
    await clock.advanceTo(ist('2026-01-05T06:00'));
    const session = fake.issueSession();
    expect(session.expiresAt).toBe(ist('2026-01-06T06:00'));
    expect(session.refreshExpiresAt).toBe(ist('2026-01-05T06:00') + 15 * DAY);
    expect(fake.accessTokenStatus(early.accessToken)).toBe('expired');

    await clock.advanceTo(session.refreshExpiresAt - 1);
    expect((await call('/validate-refresh-token', { json: refreshBody(session.refreshToken) })).status).toBe(200);
    await clock.advance(1);
    expect(await call('/validate-refresh-token', { json: refreshBody(session.refreshToken) })).toMatchObject({ status: 401, body: FAKE_FYERS_ANSWERS.refreshTokenExpired.body });
  });

  it('validate-refresh-token: unknown or revoked refresh token → 401 −16; wrong PIN → 400 error envelope', async () => {
    fake = await startFakeFyers({ clock: clockAt('2026-01-05T10:00') });
    const { refreshToken } = fake.issueSession();
    expect(await call('/validate-refresh-token', { json: refreshBody('a.b.c') })).toMatchObject({ status: 401, body: { s: 'error', code: -16, message: 'Could not authenticate the user' } });
    expect(await call('/validate-refresh-token', { json: refreshBody(refreshToken, '9999') })).toMatchObject({ status: 400, body: FAKE_FYERS_ANSWERS.wrongPin.body });
    fake.revokeRefreshToken(refreshToken);
    expect(await call('/validate-refresh-token', { json: refreshBody(refreshToken) })).toMatchObject({ status: 401, body: { code: -16 } });
  });

  it('profile and logout need `Authorization: <appId>:<token>`; logout revokes the token', async () => {
    fake = await startFakeFyers({ clock: clockAt('2026-01-05T10:00') });
    const { accessToken } = fake.issueSession();
    const auth = (value: string) => ({ headers: { authorization: value } });
    const profile = await call('/profile', auth(`${APP_ID}:${accessToken}`));
    expect(profile.status).toBe(200);
    expect(profile.body).toMatchObject({ s: 'ok', code: 200, message: '', data: { fy_id: 'XA00000', totp: true, ddpi_enabled: false } });
    expect(Object.keys(profile.body.data)).toEqual([
      'name', 'image', 'display_name', 'email_id', 'PAN', 'fy_id', 'pin_change_date', 'mobile_number', 'totp', 'pwd_change_date', 'pwd_to_expire', 'ddpi_enabled', 'mtf_enabled',
    ]);
    const unauthenticated = { status: 401, body: { s: 'error', code: -16, message: 'Could not authenticate the user' } };
    expect(await call('/profile', auth(`Bearer ${accessToken}`))).toMatchObject(unauthenticated);
    expect(await call('/profile', auth(`OTHER-100:${accessToken}`))).toMatchObject(unauthenticated);
    expect(await call('/profile')).toMatchObject(unauthenticated);

    expect(await call('/logout', { method: 'POST', ...auth(`${APP_ID}:${accessToken}`) })).toMatchObject({
      status: 200,
      body: { s: 'ok', code: 200, message: 'you are successfully logged out' },
    });
    expect(await call('/profile', auth(`${APP_ID}:${accessToken}`))).toMatchObject(unauthenticated);
    expect(await call('/nope')).toMatchObject({ status: 404, body: { s: 'error' } });
  });
});

describe('fake FYERS: faults and ports', () => {
  it('a fault hits the next `times` API requests, then clears; refresh-only faults skip other endpoints', async () => {
    fake = await startFakeFyers({ clock: clockAt('2026-01-05T10:00') });
    const { accessToken, refreshToken } = fake.issueSession();
    fake.fault('server-error', { times: 2 });
    expect(await call('/validate-refresh-token', { json: refreshBody(refreshToken) })).toMatchObject({ status: 500, body: { s: 'error' } });
    expect((await call('/profile', { headers: { authorization: `${APP_ID}:${accessToken}` } })).status).toBe(500);
    expect((await call('/profile', { headers: { authorization: `${APP_ID}:${accessToken}` } })).status).toBe(200);

    fake.fault('wrong-pin');
    expect((await call('/profile', { headers: { authorization: `${APP_ID}:${accessToken}` } })).status).toBe(200);
    expect(await call('/validate-refresh-token', { json: refreshBody(refreshToken) })).toMatchObject({ status: 400, body: { code: -1 } });

    fake.fault('rate-limit', { retryAfterSeconds: 3 });
    const limited = await call('/validate-refresh-token', { json: refreshBody(refreshToken) });
    expect(limited).toMatchObject({ status: 429, body: { s: 'error', code: -429 } });
    expect(limited.headers.get('retry-after')).toBe('3');

    fake.fault('malformed');
    const malformed = await call('/validate-refresh-token', { json: refreshBody(refreshToken) });
    expect(malformed.status).toBe(200);
    expect(() => JSON.parse(malformed.text)).toThrow();

    fake.fault('reset');
    await expect(call('/validate-refresh-token', { json: refreshBody(refreshToken) })).rejects.toThrow();
    expect((await call('/validate-refresh-token', { json: refreshBody(refreshToken) })).status).toBe(200);
    expect(fake.calls.map((c) => c.path.replace('/api/v3', ''))).toEqual([
      '/validate-refresh-token', '/profile', '/profile', '/profile', '/validate-refresh-token', '/validate-refresh-token', '/validate-refresh-token', '/validate-refresh-token', '/validate-refresh-token',
    ]);
  });

  it("'timeout' never answers; close() still ends the connection", async () => {
    fake = await startFakeFyers({ clock: clockAt('2026-01-05T10:00') });
    fake.fault('timeout');
    const pending = fetch(`${fake.url}/profile`, { signal: AbortSignal.timeout(150) });
    await expect(pending).rejects.toThrow(/abort|timeout/i);
  });

  it('binds 127.0.0.1 on a given port', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => resolve(p));
      });
    });
    fake = await startFakeFyers({ port });
    expect(fake.url).toBe(`http://127.0.0.1:${port}/api/v3`);
    expect(fake.origin).toBe(`http://127.0.0.1:${port}`);
    expect((await fetch(`${fake.url}/profile`)).status).toBe(401);
  });
});
