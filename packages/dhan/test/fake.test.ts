import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { generateTotp } from '@tokens/broker-utils';
import { createFakeClock } from '@tokens/core/testing';
import { FAKE_DHAN_APP, FAKE_DHAN_CLIENT, startFakeDhan, type FakeDhanServer } from '../src/fake';
import { DAY, setup, START, type Setup } from './helpers';

// The fake on its own, driven with plain fetch the way an official SDK would call Dhan.

let s: Setup | undefined;
let extra: FakeDhanServer | undefined;
afterEach(async () => {
  await s?.close();
  await extra?.close();
  s = undefined;
  extra = undefined;
});

const DH_901 = { errorType: 'Invalid_Authentication', errorCode: 'DH-901', errorMessage: 'Client ID or user generated access token is invalid or expired.' };
const DH_905 = { errorType: 'Input_Exception', errorCode: 'DH-905', errorMessage: 'Missing required fields, bad values for parameters etc.' };

async function call(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body, headers: res.headers };
}

function mintUrl(fake: FakeDhanServer, now = START, pin: string = FAKE_DHAN_CLIENT.pin): string {
  const totp = generateTotp({ secret: FAKE_DHAN_CLIENT.totpSecret, now }).reveal();
  return `${fake.authUrl}/app/generateAccessToken?dhanClientId=${FAKE_DHAN_CLIENT.clientId}&pin=${pin}&totp=${totp}`;
}

describe('startFakeDhan', () => {
  it('generateAccessToken answers the §3.3-B body; expiryTime is IST without offset; the token is an HS512 JWT with exp', async () => {
    s = await setup('totp');
    const { status, body, headers } = await call(mintUrl(s.fake), { method: 'POST' });
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/json');
    const b = body as Record<string, unknown>;
    expect(Object.keys(b)).toEqual(['dhanClientId', 'dhanClientName', 'dhanClientUcc', 'givenPowerOfAttorney', 'accessToken', 'expiryTime']);
    expect(b).toMatchObject({ dhanClientId: '1000000401', dhanClientName: 'JOHN DOE', dhanClientUcc: 'ABCD12345E', givenPowerOfAttorney: false });
    // START is 04:00 UTC = 09:30 IST; 24 h later.
    expect(b.expiryTime).toBe('2026-01-06T09:30:00.000');
    const [header, payload] = (b.accessToken as string).split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>);
    expect(header).toEqual({ typ: 'JWT', alg: 'HS512' });
    expect(payload).toMatchObject({ iss: 'dhan', dhanClientId: '1000000401', exp: (START + DAY) / 1000, tokenConsumerType: 'SELF' });
  });

  it('generateAccessToken: GET, missing parameters → 400 DH-905; wrong PIN → 401 with the Dhan envelope', async () => {
    s = await setup('totp');
    expect(await call(mintUrl(s.fake), { method: 'GET' })).toMatchObject({ status: 400, body: DH_905 });
    expect(await call(`${s.fake.authUrl}/app/generateAccessToken?dhanClientId=1000000401&pin=246810`, { method: 'POST' })).toMatchObject({ status: 400, body: DH_905 });
    expect(await call(mintUrl(s.fake, START, '000000'), { method: 'POST' })).toMatchObject({
      status: 401,
      body: { errorType: 'Invalid_Authentication', errorCode: 'DH-901', errorMessage: 'Invalid PIN or TOTP.' },
    });
  });

  it('profile answers the documented body with tokenValidity (DD/MM/YYYY HH:mm IST); bad tokens get 401 DH-901', async () => {
    s = await setup('totp');
    const token = s.fake.issueToken().accessToken;
    const ok = await call(`${s.fake.url}/profile`, { headers: { 'access-token': token } });
    expect(ok).toMatchObject({ status: 200 });
    expect(ok.body).toEqual({
      dhanClientId: '1000000401',
      tokenValidity: '06/01/2026 09:30',
      activeSegment: 'Equity, Derivative, Currency, Commodity',
      ddpi: 'Active',
      mtf: 'Active',
      dataPlan: 'Active',
      dataValidity: '2026-02-04 09:30:00.0',
    });
    expect(await call(`${s.fake.url}/profile`, { headers: { 'access-token': 'nope' } })).toMatchObject({ status: 401, body: DH_901 });
    expect(await call(`${s.fake.url}/profile`)).toMatchObject({ status: 401, body: DH_901 });
    await s.clock.advance(DAY);
    expect(await call(`${s.fake.url}/profile`, { headers: { 'access-token': token } })).toMatchObject({ status: 401, body: DH_901 });
  });

  it('RenewToken: GET renews an active token (the old one dies); POST → 400 DH-905; expired → 401 DH-901; no dhanClientId → 400', async () => {
    s = await setup('totp');
    const token = s.fake.issueToken().accessToken;
    const headers = { 'access-token': token, dhanClientId: '1000000401' };
    expect(await call(`${s.fake.url}/RenewToken`, { method: 'POST', headers })).toMatchObject({ status: 400, body: DH_905 });
    expect(await call(`${s.fake.url}/RenewToken`, { headers: { 'access-token': token } })).toMatchObject({ status: 400, body: DH_905 });
    const renewed = await call(`${s.fake.url}/RenewToken`, { headers });
    expect(renewed.status).toBe(200);
    expect(Object.keys(renewed.body as object)).toContain('accessToken');
    expect(s.fake.isTokenValid(token)).toBe(false);
    const next = (renewed.body as { accessToken: string }).accessToken;
    await s.clock.advance(DAY);
    expect(await call(`${s.fake.url}/RenewToken`, { headers: { 'access-token': next, dhanClientId: '1000000401' } })).toMatchObject({ status: 401, body: DH_901 });
  });

  it('consumeApp-consent also accepts POST (openalgo); generate-consent answers the documented success body', async () => {
    s = await setup('consent');
    const appHeaders = { app_id: FAKE_DHAN_APP.apiKey, app_secret: FAKE_DHAN_APP.apiSecret };
    const consent = await call(`${s.fake.authUrl}/app/generate-consent?client_id=1000000401`, { method: 'POST', headers: appHeaders });
    expect(consent.status).toBe(200);
    expect(consent.body).toEqual({ consentAppId: expect.stringMatching(/^[0-9a-f-]{36}$/), consentAppStatus: 'GENERATED', status: 'success' });
    const loginUrl = `${s.fake.authUrl}/login/consentApp-login?consentAppId=${(consent.body as { consentAppId: string }).consentAppId}`;
    const page = await call(loginUrl);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<form method="post" action="/auth/login/consentApp-login">');
    const redirected = new URL(await s.fake.browserLogin(loginUrl));
    expect([...redirected.searchParams.keys()]).toEqual(['tokenId']);
    const tokenId = redirected.searchParams.get('tokenId')!;
    const consumed = await call(`${s.fake.authUrl}/app/consumeApp-consent?tokenId=${tokenId}`, { method: 'POST', headers: appHeaders });
    expect(consumed.status).toBe(200);
    expect(s.fake.activeToken()).toMatchObject({ source: 'consent', accessToken: (consumed.body as { accessToken: string }).accessToken });
    // The consent is spent: its login page no longer works.
    expect(await call(loginUrl)).toMatchObject({ status: 400 });
  });

  describe('faults', () => {
    it('server-error, rate-limit (with Retry-After), malformed and revoked answer the next request only', async () => {
      s = await setup('totp');
      const token = s.fake.issueToken().accessToken;
      const profile = () => call(`${s!.fake.url}/profile`, { headers: { 'access-token': token } });
      s.fake.fault('server-error');
      expect(await profile()).toMatchObject({ status: 500, body: { errorCode: 'DH-908' } });
      s.fake.fault('rate-limit', { retryAfterSeconds: 3 });
      const limited = await profile();
      expect(limited).toMatchObject({ status: 429, body: { errorCode: 'DH-904' } });
      expect(limited.headers.get('retry-after')).toBe('3');
      s.fake.fault('rate-limit');
      expect((await profile()).headers.get('retry-after')).toBeNull();
      s.fake.fault('malformed');
      expect(await profile()).toMatchObject({ status: 200, body: '{"dhanClientId":"' });
      expect((await profile()).status).toBe(200);
      s.fake.fault('revoked');
      expect(await profile()).toMatchObject({ status: 401, body: DH_901 });
      expect(s.fake.isTokenValid(token)).toBe(false);
    });

    it('reset drops the connection; timeout never answers (close() still ends it); times and endpoint target faults', async () => {
      s = await setup('totp');
      const token = s.fake.issueToken().accessToken;
      s.fake.fault('reset', { endpoint: 'RenewToken', times: 2 });
      expect((await call(`${s.fake.url}/profile`, { headers: { 'access-token': token } })).status).toBe(200);
      await expect(fetch(`${s.fake.url}/RenewToken`, { headers: { 'access-token': token, dhanClientId: '1000000401' } })).rejects.toThrow();
      await expect(fetch(`${s.fake.url}/RenewToken`, { headers: { 'access-token': token, dhanClientId: '1000000401' } })).rejects.toThrow();
      s.fake.fault('timeout');
      const hanging = fetch(`${s.fake.url}/profile`, { headers: { 'access-token': token }, signal: AbortSignal.timeout(150) });
      await expect(hanging).rejects.toThrow();
      s.fake.fault('server-error', { times: Number.POSITIVE_INFINITY });
      expect((await call(`${s.fake.url}/profile`)).status).toBe(500);
      s.fake.clearFaults();
      expect((await call(`${s.fake.url}/profile`, { headers: { 'access-token': token } })).status).toBe(200);
    });

    it('a timeout fault makes the adapter fail fast with a retryable NetworkError when timeoutMs is short', async () => {
      s = await setup('totp', { timeoutMs: 100 });
      s.fake.fault('timeout');
      const started = performance.now();
      await expect(s.refresh()).rejects.toMatchObject({ code: 'NETWORK_ERROR', isRetryable: true, message: 'dhan did not answer POST /auth/app/generateAccessToken within 100 ms.' });
      expect(performance.now() - started).toBeLessThan(1000);
    });
  });

  it('records every request; unknown paths get 404; the API and auth hosts have their own base paths', async () => {
    s = await setup('totp');
    expect(s.fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v2$/);
    expect(s.fake.authUrl).toBe(s.fake.url.replace(/\/v2$/, '/auth'));
    expect((await call(`${s.fake.url}/app/generateAccessToken`, { method: 'POST' })).status).toBe(404);
    expect(s.fake.calls.map((c) => c.path)).toEqual(['/v2/app/generateAccessToken']);
    expect(s.fake.broker).toBe('dhan');
    expect(s.fake.currentTotp()).toBe(generateTotp({ secret: FAKE_DHAN_CLIENT.totpSecret, now: START }).reveal());
  });

  it('binds a given port when asked', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => resolve(p));
      });
    });
    extra = await startFakeDhan({ clock: createFakeClock(START), port });
    expect(extra.url).toBe(`http://127.0.0.1:${port}/v2`);
  });
});
