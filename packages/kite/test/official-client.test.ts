import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KiteConnect } from 'kiteconnect';
import { createFakeClock, type FakeClock } from '@tokens/core/testing';
import type { RecordedRequest } from '@tokens/broker-utils/testing';
import { startFakeKite, type FakeKiteServer } from '../src/fake';
import { API_KEY, API_SECRET, ist, MIN, PASSWORD, sha256 } from './helpers';

// The official kiteconnect@5.3.0 client (zerodha/kiteconnectjs), unchanged, with only its `root`
// option pointed at the fake. Everything below goes over real loopback HTTP through its axios.

const REDIRECT = 'https://algo.example.com/kite/callback';
const USER_AGENT = 'kiteconnectjs/5.3.0';
const TOKEN_EXCEPTION = { status: 'error', message: 'Token is invalid or has expired.', data: null, error_type: 'TokenException' };
const SESSION_DEAD = { status: 'error', message: 'Incorrect `api_key` or `access_token`.', data: null, error_type: 'TokenException' };

let clock: FakeClock;
let fake: FakeKiteServer;

beforeEach(async () => {
  clock = createFakeClock(ist(2026, 1, 5, 8, 55));
  fake = await startFakeKite({ clock, apiKey: API_KEY, apiSecret: API_SECRET, redirectUrl: REDIRECT, user: { password: PASSWORD } });
});

afterEach(async () => {
  await fake.close();
});

/** The SDK's login URL always names kite.zerodha.com; the human opens the same query on the fake's login page. */
async function humanLogin(sdkLoginUrl: string): Promise<string> {
  const redirected = new URL(await fake.browserLogin(`${fake.loginUrl}${new URL(sdkLoginUrl).search}`, { password: PASSWORD }));
  expect(`${redirected.origin}${redirected.pathname}`).toBe(REDIRECT);
  expect(redirected.searchParams.get('status')).toBe('success');
  return redirected.searchParams.get('request_token')!;
}

/** The API calls the fake received (the login page's GET/POST left out). */
function apiCalls(): RecordedRequest[] {
  return fake.calls.filter((c) => c.path !== '/connect/login');
}

function sdkHeaders(call: RecordedRequest) {
  return {
    'x-kite-version': call.headers['x-kite-version'],
    'user-agent': call.headers['user-agent'],
    'content-type': call.headers['content-type'],
    authorization: call.headers.authorization,
  };
}

describe('the official kiteconnect client pointed at the fake (`root: fake.url`)', () => {
  it('getLoginURL → login page → generateSession → getProfile → invalidateAccessToken, unchanged', async () => {
    const kc = new KiteConnect({ api_key: API_KEY, root: fake.url });

    // kiteconnect 5.3.0 ignores `login_uri`: the login URL is always Kite's own.
    expect(kc.getLoginURL()).toBe(`https://kite.zerodha.com/connect/login?api_key=${API_KEY}&v=3`);
    const requestToken = await humanLogin(kc.getLoginURL());
    expect(requestToken).toMatch(/^[A-Za-z0-9]{32}$/);

    const session = await kc.generateSession(requestToken, API_SECRET);
    const minted = fake.sessions();
    expect(minted).toHaveLength(1);
    const accessToken = minted[0]!.accessToken;
    expect(session).toEqual({
      user_type: 'individual',
      email: 'kite.user@example.com',
      user_name: 'Kite Connect',
      user_shortname: 'Connect',
      broker: 'ZERODHA',
      exchanges: ['NSE', 'NFO', 'BFO', 'CDS', 'BSE', 'MCX', 'BCD', 'MF'],
      products: ['CNC', 'NRML', 'MIS', 'BO', 'CO'],
      order_types: ['MARKET', 'LIMIT', 'SL', 'SL-M'],
      avatar_url: 'abc',
      user_id: 'AB1234',
      api_key: API_KEY,
      access_token: accessToken,
      public_token: minted[0]!.publicToken,
      enctoken: minted[0]!.enctoken,
      refresh_token: '',
      silo: '',
      // The SDK turns login_time into a Date (parsed as local time, as it does for Kite's answer).
      login_time: new Date('2026-01-05 08:55:00'),
      meta: { demat_consent: 'physical' },
    });
    expect(fake.isActive(accessToken)).toBe(true);

    // generateSession already sets it; setAccessToken is what an app that stored the token calls.
    kc.setAccessToken(accessToken);
    expect(await kc.getProfile()).toEqual({
      user_id: 'AB1234',
      user_type: 'individual',
      email: 'kite.user@example.com',
      user_name: 'Kite Connect',
      user_shortname: 'Connect',
      broker: 'ZERODHA',
      exchanges: ['NSE', 'NFO', 'BFO', 'CDS', 'BSE', 'MCX', 'BCD', 'MF'],
      products: ['CNC', 'NRML', 'MIS', 'BO', 'CO'],
      order_types: ['MARKET', 'LIMIT', 'SL', 'SL-M'],
      avatar_url: null,
      meta: { demat_consent: 'physical' },
    });

    expect(await kc.invalidateAccessToken()).toBe(true);
    expect(fake.isActive(accessToken)).toBe(false);
    // The dead session is refused with Kite's 403 TokenException body, which the SDK rejects with.
    await expect(kc.getProfile()).rejects.toEqual(SESSION_DEAD);

    const auth = `token ${API_KEY}:${accessToken}`;
    const calls = apiCalls();
    expect(calls.map((c) => [c.method, c.path, c.query])).toEqual([
      ['POST', '/session/token', {}],
      ['GET', '/user/profile', {}],
      ['DELETE', '/session/token', { api_key: API_KEY, access_token: accessToken }],
      ['GET', '/user/profile', {}],
    ]);
    expect(calls.map(sdkHeaders)).toEqual([
      { 'x-kite-version': '3', 'user-agent': USER_AGENT, 'content-type': 'application/x-www-form-urlencoded', authorization: undefined },
      { 'x-kite-version': '3', 'user-agent': USER_AGENT, 'content-type': 'application/x-www-form-urlencoded', authorization: auth },
      { 'x-kite-version': '3', 'user-agent': USER_AGENT, 'content-type': 'application/x-www-form-urlencoded', authorization: auth },
      { 'x-kite-version': '3', 'user-agent': USER_AGENT, 'content-type': 'application/x-www-form-urlencoded', authorization: auth },
    ]);
    expect(calls[0]!.rawBody).toBe(`api_key=${API_KEY}&request_token=${requestToken}&checksum=${sha256(API_KEY + requestToken + API_SECRET)}`);
    expect(calls.slice(1).map((c) => c.rawBody)).toEqual(['', '', '']);
  });

  it('a reused request token and a stale one are rejected with the TokenException the SDK throws', async () => {
    const kc = new KiteConnect({ api_key: API_KEY, root: fake.url });
    const expiryHooks: string[] = [];
    kc.setSessionExpiryHook(() => expiryHooks.push('expired'));

    const used = await humanLogin(kc.getLoginURL());
    await kc.generateSession(used, API_SECRET);
    await expect(kc.generateSession(used, API_SECRET)).rejects.toEqual(TOKEN_EXCEPTION);

    const stale = await humanLogin(kc.getLoginURL());
    await clock.advance(5 * MIN + 1);
    await expect(kc.generateSession(stale, API_SECRET)).rejects.toEqual(TOKEN_EXCEPTION);

    // kiteconnect calls its session-expiry hook on every TokenException.
    expect(expiryHooks).toEqual(['expired', 'expired']);
    const calls = apiCalls();
    expect(calls.map((c) => [c.method, c.path, c.form?.request_token])).toEqual([
      ['POST', '/session/token', used],
      ['POST', '/session/token', used],
      ['POST', '/session/token', stale],
    ]);
    expect(fake.sessions()).toHaveLength(1);
  });
});
