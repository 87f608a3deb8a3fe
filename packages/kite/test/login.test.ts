import { describe, expect, it } from 'vitest';
import { BrokerApiError, InvalidCredentialsError, InvalidInputError, TokensError } from '@tokens/core';
import { kiteChecksum } from '@tokens/broker-utils';
import { createKite, parseKitePasted } from '../src';
import { API_KEY, API_SECRET, ist, loginParams, MIN, sha256, signal, startRig } from './helpers';

describe('checksum', () => {
  it('matches the research test vector sha256("my_api_key" + "req_token_123" + "my_api_secret")', () => {
    expect(kiteChecksum('my_api_key', 'req_token_123', 'my_api_secret').reveal()).toBe(
      '65e8d70e761676f70b5480d971a0dd19db1c88251f142b5d81f84ac544941911',
    );
  });
});

describe('authorize URL', () => {
  it('is the v3 login page with the api_key and the state carried in redirect_params', async () => {
    const kite = createKite({ apiKey: API_KEY, apiSecret: API_SECRET, environment: {} });
    expect(kite.login.authorizeUrl({ state: 'a.b/c=d' })).toBe(
      `https://kite.zerodha.com/connect/login?v=3&api_key=${API_KEY}&redirect_params=state%3Da.b%252Fc%253Dd`,
    );
    expect(() => kite.login.authorizeUrl({ state: '' })).toThrow(InvalidInputError);
  });
});

describe('login through the fake', () => {
  it('redirects with a single-use request token, action=login, status=success and the redirect_params', async () => {
    const rig = await startRig();
    try {
      const url = await rig.kite.login.authorizeUrl({ state: 'signed.state-1' });
      const redirected = new URL(await rig.fake.browserLogin(url, { password: rig.fake.user.password }));
      expect(`${redirected.origin}${redirected.pathname}`).toBe('https://algo.example.com/kite/callback');
      const params = Object.fromEntries(redirected.searchParams);
      expect(params).toEqual({ action: 'login', type: 'login', status: 'success', request_token: expect.stringMatching(/^[A-Za-z0-9]{32}$/), state: 'signed.state-1' });
      const page = rig.take().find((c) => c.method === 'GET');
      expect(page).toMatchObject({ path: '/connect/login', query: { v: '3', api_key: API_KEY, redirect_params: 'state=signed.state-1' } });
    } finally {
      await rig.close();
    }
  });

  it('exchanges the request token with POST /session/token (form api_key, request_token, checksum; X-Kite-Version 3)', async () => {
    const rig = await startRig();
    try {
      const params = await loginParams(rig);
      rig.take();
      const now = rig.clock.now();
      const tokenSet = await rig.kite.login.doExchange({ accountId: 'kite-main', callbackParams: params, signal: signal(), now });
      const [call, ...rest] = rig.take();
      expect(rest).toEqual([]);
      expect(call).toMatchObject({ method: 'POST', path: '/session/token', query: {} });
      expect(call!.headers['x-kite-version']).toBe('3');
      expect(call!.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
      expect(call!.headers.authorization).toBeUndefined();
      expect(call!.form).toEqual({ api_key: API_KEY, request_token: params.request_token, checksum: sha256(API_KEY + params.request_token + API_SECRET) });
      // Next 06:00 IST after a Monday 08:55 IST login: Tuesday 06:00 IST.
      expect(tokenSet.expiresAt).toBe(ist(2026, 1, 6, 6, 0));
      expect(tokenSet.issuedAt).toBe(now);
      expect(tokenSet.refreshToken).toBeUndefined();
      expect(tokenSet.tokenType).toBe('token');
      expect(tokenSet.extras).toEqual({ apiKey: API_KEY, userId: 'AB**34', loginTime: new Date(Math.floor(now / 1000) * 1000).toISOString() });
      const session = rig.fake.sessions().at(-1)!;
      expect(tokenSet.accessToken.reveal()).toBe(session.accessToken);
      expect(tokenSet.secretExtras?.publicToken?.reveal()).toBe(session.publicToken);
      expect(rig.fake.isActive(session.accessToken)).toBe(true);
    } finally {
      await rig.close();
    }
  });

  it('a reused request token gives a clear, non-retryable error that asks for a new login', async () => {
    const rig = await startRig();
    try {
      const params = await loginParams(rig);
      await rig.kite.login.doExchange({ accountId: 'k', callbackParams: params, signal: signal(), now: rig.clock.now() });
      const error = await rig.kite.login.doExchange({ accountId: 'k', callbackParams: params, signal: signal(), now: rig.clock.now() }).catch((e: unknown) => e);
      expect(BrokerApiError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ statusCode: 403, brokerCode: 'TokenException', isAuthError: true, needsHuman: true, isRetryable: false });
      expect((error as Error).message).toBe(
        'Kite rejected the request token (HTTP 403 TokenException: Token is invalid or has expired.). Request tokens work once and only for a few minutes: log in again and use the new one right away.',
      );
      expect(JSON.stringify(error)).not.toContain(params.request_token);
    } finally {
      await rig.close();
    }
  });

  it('a stale request token (older than the fake TTL of 5 minutes) is refused the same way', async () => {
    const rig = await startRig();
    try {
      const params = await loginParams(rig);
      await rig.clock.advance(5 * MIN + 1);
      const error = await rig.kite.login.doExchange({ accountId: 'k', callbackParams: params, signal: signal(), now: rig.clock.now() }).catch((e: unknown) => e);
      expect(error).toMatchObject({ statusCode: 403, brokerCode: 'TokenException', needsHuman: true });
      expect(rig.fake.sessions()).toEqual([]);
    } finally {
      await rig.close();
    }
  });

  it('a wrong API secret is an InvalidCredentialsError naming apiSecret (bad checksum)', async () => {
    const rig = await startRig();
    try {
      const params = await loginParams(rig);
      const wrong = createKite({ ...rig.settings, apiSecret: 'not-the-secret' });
      const error = await wrong.login.doExchange({ accountId: 'k', callbackParams: params, signal: signal(), now: rig.clock.now() }).catch((e: unknown) => e);
      expect(InvalidCredentialsError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ needsHuman: true, isRetryable: false });
      expect((error as Error).message).toBe(
        'Kite rejected the checksum (HTTP 400 InputException: Invalid `checksum`.). The API secret does not match the API key: check `apiSecret` (KITE_API_SECRET).',
      );
      // The fake checks the checksum before consuming the token, so the right secret still works.
      const ok = await rig.kite.login.doExchange({ accountId: 'k', callbackParams: params, signal: signal(), now: rig.clock.now() });
      expect(ok.accessToken.reveal()).toMatch(/^[A-Za-z0-9]{32}$/);
    } finally {
      await rig.close();
    }
  });

  it('an unknown API key is an InvalidCredentialsError naming apiKey', async () => {
    const rig = await startRig();
    try {
      const other = createKite({ ...rig.settings, apiKey: 'unknownkey99' });
      const error = await other.login.doExchange({ accountId: 'k', callbackParams: { request_token: rig.fake.issueRequestToken() }, signal: signal(), now: rig.clock.now() }).catch((e: unknown) => e);
      expect(InvalidCredentialsError.isInstance(error)).toBe(true);
      expect((error as Error).message).toBe('Kite does not know this API key (HTTP 400 InputException: Invalid `api_key`.). Check `apiKey` (KITE_API_KEY).');
    } finally {
      await rig.close();
    }
  });

  it('callback params without a request token or with status other than success fail before any request', async () => {
    const rig = await startRig();
    try {
      const exchange = (callbackParams: Record<string, string>) =>
        rig.kite.login.doExchange({ accountId: 'k', callbackParams, signal: signal(), now: rig.clock.now() }).catch((e: unknown) => e);
      expect(await exchange({})).toMatchObject({ code: 'MISSING_REQUEST_TOKEN' });
      expect(await exchange({ status: 'cancelled', request_token: 'abc12345' })).toMatchObject({ code: 'LOGIN_NOT_COMPLETED' });
      expect(await exchange({ request_token: 'abc 12345<script>' })).toMatchObject({ code: 'INVALID_REQUEST_TOKEN' });
      expect(rig.take()).toEqual([]);
    } finally {
      await rig.close();
    }
  });
});

describe('headless paste', () => {
  const token = 'Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z';

  it('accepts the redirected URL (all params kept), a bare query string or the bare request token', () => {
    expect(parseKitePasted(`  https://algo.example.com/kite/callback?action=login&type=login&status=success&request_token=${token}&state=s1\n`)).toEqual({
      action: 'login',
      type: 'login',
      status: 'success',
      request_token: token,
      state: 's1',
    });
    expect(parseKitePasted(`?request_token=${token}&status=success`)).toEqual({ request_token: token, status: 'success' });
    expect(parseKitePasted(`request_token=${token}`)).toEqual({ request_token: token });
    expect(parseKitePasted(`\t${token} `)).toEqual({ request_token: token });
  });

  it('rejects anything else with an InvalidInputError that does not echo the text', () => {
    const secretish = 'CANARY-pasted-9d8c7b6a5f4e3d2c1b';
    for (const text of ['', '   ', `not a url ${secretish}`, `https://algo.example.com/cb?status=success&x=${secretish}`, `https://x.test/cb?status=cancelled&request_token=${token}`]) {
      let error: unknown;
      try {
        parseKitePasted(text);
      } catch (e) {
        error = e;
      }
      expect(InvalidInputError.isInstance(error), text).toBe(true);
      expect(TokensError.isInstance(error)).toBe(true);
      expect((error as Error).message).not.toContain(secretish);
      expect((error as Error).message).not.toContain(token);
    }
  });
});
