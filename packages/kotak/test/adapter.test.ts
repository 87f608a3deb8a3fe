import { afterEach, describe, expect, it } from 'vitest';
import { BrokerApiError, InvalidCredentialsError, InvalidInputError, NetworkError, TokensError } from '@tokens/core';
import { generateTotp } from '@tokens/broker-utils';
import { isKotakAuthError, kotakSession } from '../src';
import { decodeJwt, ist, refreshInput, setup, type Setup } from './helpers';

let s: Setup;
afterEach(() => s?.close());

async function refreshError(x: Setup): Promise<unknown> {
  return x.adapter.doRefresh(refreshInput(x.clock)).then(
    () => {
      throw new Error('expected doRefresh to reject');
    },
    (e: unknown) => e,
  );
}

describe('doRefresh: tradeApiLogin (TOTP) then tradeApiValidate (MPIN)', () => {
  it('sends exactly the two Gen 3 login calls and returns the trade token, sid and baseUrl', async () => {
    s = await setup();
    const { fake, clock, adapter } = s;
    const c = fake.credentials;
    const tokenSet = await adapter.doRefresh(refreshInput(clock));

    expect(fake.calls).toHaveLength(2);
    const [login, validate] = fake.calls;
    expect(login).toMatchObject({ host: 'login', method: 'POST', path: '/login/1.0/tradeApiLogin', at: clock.now() });
    expect(login!.headers).toMatchObject({ authorization: c.consumerKey, 'neo-fin-key': 'neotradeapi', 'content-type': 'application/json' });
    expect(login!.headers.sid).toBeUndefined();
    expect(login!.headers.auth).toBeUndefined();
    expect(login!.json).toEqual({
      mobileNumber: c.mobileNumber,
      ucc: c.ucc,
      totp: generateTotp({ secret: c.totpSecret, now: clock.now() }).reveal(),
    });

    expect(validate).toMatchObject({ host: 'login', method: 'POST', path: '/login/1.0/tradeApiValidate' });
    const viewToken = validate!.headers.auth as string;
    expect(decodeJwt(viewToken).scope).toBe('View');
    expect(validate!.headers).toMatchObject({ authorization: c.consumerKey, 'neo-fin-key': 'neotradeapi', sid: expect.any(String) });
    expect(validate!.json).toEqual({ mpin: c.mpin });

    // The trade token is a JWT whose exp is 00:00 IST after the login; the sid is the session's.
    expect(decodeJwt(tokenSet.accessToken.reveal()).scope).toBe('Trade');
    expect(tokenSet.expiresAt).toBe(ist(2026, 1, 28, 0, 0));
    expect(tokenSet.issuedAt).toBe(clock.now());
    expect(tokenSet.refreshToken).toBeUndefined();
    expect(tokenSet.extras).toEqual({ baseUrl: fake.tradingUrl, dataCenter: 'E43' });
    expect(tokenSet.secretExtras?.sid?.reveal()).toBe(validate!.headers.sid);
    expect(JSON.stringify(tokenSet)).not.toContain(tokenSet.accessToken.reveal());

    // What consumers do with it: the trading host accepts the session.
    const session = kotakSession(tokenSet);
    const limits = await fetch(`${session.baseUrl}/quick/user/limits`, {
      method: 'POST',
      headers: { ...session.headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ jData: JSON.stringify({ seg: 'ALL', exch: 'ALL', prod: 'ALL' }) }),
    });
    expect(limits.status).toBe(200);
    expect(await limits.json()).toMatchObject({ stCode: 200, stat: 'Ok' });
    expect(fake.calls[2]).toMatchObject({ host: 'trading', path: '/quick/user/limits', form: { jData: '{"seg":"ALL","exch":"ALL","prod":"ALL"}' } });
  });

  it('without a JWT exp the session expires at 23:59 IST of the login day', async () => {
    s = await setup({ start: ist(2026, 1, 27, 8, 30), fake: { jwtExp: false } });
    const tokenSet = await s.adapter.doRefresh(refreshInput(s.clock));
    expect(decodeJwt(tokenSet.accessToken.reveal()).exp).toBeUndefined();
    expect(tokenSet.expiresAt).toBe(ist(2026, 1, 27, 23, 59));
  });

  it('a renewal ends the previous session (single session per user)', async () => {
    s = await setup();
    const first = await s.adapter.doRefresh(refreshInput(s.clock));
    const second = await s.adapter.doRefresh(refreshInput(s.clock));
    const probe = (t: typeof first) => s.adapter.doValidate({ accountId: 'k', tokenSet: t, signal: new AbortController().signal, now: s.clock.now() });
    expect((await probe(first)).valid).toBe(false);
    expect((await probe(second)).valid).toBe(true);
    expect(s.fake.stats).toMatchObject({ logins: 2, loginAttempts: 2, activeSessions: 1, maxConcurrentLogins: 1 });
  });

  it('falls back to the login host when tradeApiValidate names no baseUrl (as the SDK does)', async () => {
    s = await setup();
    s.fake.respondOnce('/login/1.0/tradeApiValidate', { status: 200, body: { data: { token: 'trade-token-without-base-url', sid: 'sid-1' } } });
    // The scripted answer replaces the fake's own; step 1 still runs for real.
    const tokenSet = await s.adapter.doRefresh(refreshInput(s.clock));
    expect(tokenSet.extras).toEqual({ baseUrl: s.fake.url });
    expect(tokenSet.expiresAt).toBe(ist(2026, 1, 27, 23, 59));
  });
});

describe('doRefresh errors are typed: retry only what can succeed, stop on wrong credentials', () => {
  it('a wrong TOTP is InvalidCredentialsError after one request, naming the settings to check', async () => {
    s = await setup({ settings: { totpSecret: 'JBSWY3DPEHPK3PXP' } });
    const error = await refreshError(s);
    expect(InvalidCredentialsError.isInstance(error)).toBe(true);
    const e = error as InvalidCredentialsError;
    expect(e).toMatchObject({ code: 'INVALID_CREDENTIALS', needsHuman: true, isRetryable: false, broker: 'kotak' });
    expect(e.message).toContain('"Invalid TOTP"');
    expect(e.message).toContain('totpSecret');
    expect(e.message).toContain(`${s.fake.credentials.ucc.slice(0, 2)}***`);
    expect(e.message).not.toContain(s.fake.credentials.ucc);
    expect(e.message).not.toContain(s.fake.credentials.mobileNumber);
    expect(s.fake.calls.map((c) => c.path)).toEqual(['/login/1.0/tradeApiLogin']);
  });

  it('a wrong MPIN is InvalidCredentialsError after the TOTP step, pointing at the MPIN', async () => {
    s = await setup({ settings: { mpin: '000000' } });
    const error = (await refreshError(s)) as InvalidCredentialsError;
    expect(InvalidCredentialsError.isInstance(error)).toBe(true);
    expect(error.message).toContain('"Invalid MPIN"');
    expect(error.message).toContain('setting `mpin`');
    expect(s.fake.calls.map((c) => c.path)).toEqual(['/login/1.0/tradeApiLogin', '/login/1.0/tradeApiValidate']);
    expect(s.fake.stats.logins).toBe(0);
  });

  it('a wrong UCC (HTTP 200 with stCode 429, not a rate limit) and a wrong consumer key are InvalidCredentialsError', async () => {
    s = await setup({ settings: { ucc: 'ZZ999' } });
    const ucc = (await refreshError(s)) as InvalidCredentialsError;
    expect(ucc).toMatchObject({ code: 'INVALID_CREDENTIALS', isRetryable: false });
    expect(ucc.message).toContain('(HTTP 200, code 429) "Invalid UCC"');
    await s.close();
    s = await setup({ settings: { consumerKey: 'not-the-consumer-key' } });
    const key = (await refreshError(s)) as InvalidCredentialsError;
    expect(key).toMatchObject({ code: 'INVALID_CREDENTIALS', isRetryable: false });
    expect(key.message).toContain('(HTTP 401, code 401) "Invalid Credentials"');
  });

  it('5xx and 429 are retryable BrokerApiErrors; Retry-After is honoured when Kotak sends one', async () => {
    s = await setup();
    s.fake.fault('server-error');
    const e500 = (await refreshError(s)) as BrokerApiError;
    expect(e500).toMatchObject({ name: 'BrokerApiError', statusCode: 500, isRetryable: true, needsHuman: false, brokerCode: '500' });
    s.fake.fault('rate-limit');
    const e429 = (await refreshError(s)) as BrokerApiError;
    expect(e429).toMatchObject({ statusCode: 429, isRetryable: true, retryAfterMs: undefined });
    s.fake.fault('rate-limit', { retryAfterSeconds: 7 });
    expect(await refreshError(s)).toMatchObject({ statusCode: 429, isRetryable: true, retryAfterMs: 7_000 });
    // A fault hits one request only: the next login works.
    expect((await s.adapter.doRefresh(refreshInput(s.clock))).expiresAt).toBeGreaterThan(s.clock.now());
  });

  it('a reset connection and a timeout are retryable NetworkErrors (timeoutMs bounds the wait)', async () => {
    s = await setup({ settings: { timeoutMs: 150 } });
    s.fake.fault('reset');
    expect(NetworkError.isInstance(await refreshError(s))).toBe(true);
    s.fake.fault('timeout');
    const started = performance.now();
    const timeout = (await refreshError(s)) as NetworkError;
    expect(timeout).toMatchObject({ code: 'NETWORK_ERROR', isRetryable: true });
    expect(timeout.message).toContain('within 150 ms');
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it('a malformed body is a typed, non-retryable BrokerApiError; a revoked consumer key needs a human', async () => {
    s = await setup();
    s.fake.fault('malformed');
    const malformed = (await refreshError(s)) as BrokerApiError;
    expect(malformed).toMatchObject({ name: 'BrokerApiError', statusCode: 200, isRetryable: false });
    expect(malformed.message).toContain('not JSON');
    s.fake.fault('revoked');
    expect(await refreshError(s)).toMatchObject({ code: 'INVALID_CREDENTIALS', needsHuman: true, isRetryable: false });
  });

  it('a 2xx without data, a missing-header answer and a refused view session are each classified', async () => {
    s = await setup();
    s.fake.respondOnce('/login/1.0/tradeApiLogin', { status: 200, body: { stat: 'Ok' } });
    const noData = (await refreshError(s)) as BrokerApiError;
    expect(noData).toMatchObject({ name: 'BrokerApiError', statusCode: 200, isRetryable: false });
    expect(noData.message).toContain('without the `data`');

    s.fake.respondOnce('/login/1.0/tradeApiLogin', { status: 400, body: { error: [{ code: '10512', message: 'Required header not found.' }] } });
    const header = (await refreshError(s)) as InvalidInputError;
    expect(InvalidInputError.isInstance(header)).toBe(true);
    expect(header).toMatchObject({ code: 'KOTAK_BAD_REQUEST', isRetryable: false, needsHuman: false });
    expect(header.message).toContain('"Required header not found."');

    s.fake.respondOnce('/login/1.0/tradeApiValidate', { status: 200, body: { stCode: 100022, errMsg: 'invalid session token', stat: 'Not_Ok' } });
    const view = (await refreshError(s)) as BrokerApiError;
    expect(view).toMatchObject({ isAuthError: true, isRetryable: true, brokerCode: '100022', needsHuman: false });
  });

  it('an already-aborted signal rejects at once and sends nothing', async () => {
    s = await setup();
    const error = await s.adapter.doRefresh(refreshInput(s.clock, AbortSignal.abort())).catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
    expect(s.fake.calls).toHaveLength(0);
  });
});

describe('TOTP codes are single-use at Kotak (when it enforces RFC 6238 §5.2)', () => {
  it('a re-login in the same 30 s step is retryable with the wait until the next code, then succeeds', async () => {
    s = await setup({ start: ist(2026, 1, 27, 8, 30, 10), fake: { rejectReusedTotp: true } });
    await s.adapter.doRefresh(refreshInput(s.clock));
    const replay = (await refreshError(s)) as BrokerApiError;
    expect(replay).toMatchObject({ name: 'BrokerApiError', isRetryable: true, needsHuman: false, retryAfterMs: 20_000 });
    expect(replay.message).toContain('same TOTP code');
    await s.clock.advance(20_000);
    await expect(s.adapter.doRefresh(refreshInput(s.clock))).resolves.toMatchObject({ issuedAt: s.clock.now() });
  });

  it('a first login with a wrong TOTP is still InvalidCredentialsError', async () => {
    s = await setup({ fake: { rejectReusedTotp: true }, settings: { totpSecret: 'JBSWY3DPEHPK3PXP' } });
    expect(await refreshError(s)).toMatchObject({ code: 'INVALID_CREDENTIALS' });
  });
});

describe('doValidate: GET /login/1.0/get-client-ip', () => {
  it('sends Authorization, Sid, Auth and accept; a live session is valid, an ended one is not (no throw)', async () => {
    s = await setup();
    const seeded = s.fake.seedSession();
    const tokenSet = {
      accessToken: { reveal: () => seeded.token, toString: () => '[redacted]', toJSON: () => '[redacted]' },
      expiresAt: seeded.expiresAt,
      issuedAt: seeded.issuedAt,
      extras: { baseUrl: seeded.baseUrl },
      secretExtras: { sid: { reveal: () => seeded.sid, toString: () => '[redacted]', toJSON: () => '[redacted]' } },
    };
    const input = () => ({ accountId: 'k', tokenSet, signal: new AbortController().signal, now: s.clock.now() });
    expect(await s.adapter.doValidate(input())).toEqual({ valid: true });
    expect(s.fake.calls[0]).toMatchObject({ method: 'GET', path: '/login/1.0/get-client-ip', rawBody: '' });
    expect(s.fake.calls[0]!.headers).toMatchObject({
      authorization: s.fake.credentials.consumerKey,
      sid: seeded.sid,
      auth: seeded.token,
      accept: 'application/json',
    });

    s.fake.invalidateSession(seeded.token);
    const invalid = await s.adapter.doValidate(input());
    expect(invalid).toEqual({ valid: false, reason: 'Kotak rejected the session (HTTP 403, stCode 100022: invalid session token)' });
  });

  it('sessions end at midnight IST by the fake clock; 5xx during a probe throws a retryable error', async () => {
    s = await setup({ start: ist(2026, 1, 27, 23, 0) });
    const tokenSet = await s.adapter.doRefresh(refreshInput(s.clock));
    const input = () => ({ accountId: 'k', tokenSet, signal: new AbortController().signal, now: s.clock.now() });
    s.fake.fault('server-error');
    expect(await s.adapter.doValidate(input()).catch((e: unknown) => e)).toMatchObject({ statusCode: 500, isRetryable: true });
    await s.clock.advanceTo(ist(2026, 1, 27, 23, 59, 59));
    expect((await s.adapter.doValidate(input())).valid).toBe(true);
    await s.clock.advance(1_000);
    expect((await s.adapter.doValidate(input())).valid).toBe(false);
  });

  it('an odd probe answer throws a typed BrokerApiError, never a credentials verdict', async () => {
    s = await setup();
    const tokenSet = await s.adapter.doRefresh(refreshInput(s.clock));
    const input = { accountId: 'k', tokenSet, signal: new AbortController().signal, now: s.clock.now() };
    s.fake.respondOnce('/login/1.0/get-client-ip', { status: 200, body: { status: 'success' } });
    const shape = await s.adapter.doValidate(input).catch((e: unknown) => e);
    expect(shape).toMatchObject({ name: 'BrokerApiError', statusCode: 200, isRetryable: false });
    s.fake.respondOnce('/login/1.0/get-client-ip', { status: 400, body: { error: [{ code: '400', message: 'Bad request' }] } });
    const bad = await s.adapter.doValidate(input).catch((e: unknown) => e);
    expect(bad).toMatchObject({ name: 'BrokerApiError', statusCode: 400, brokerCode: '400', needsHuman: false, isRetryable: false });
    expect(await s.adapter.doValidate(input)).toEqual({ valid: true });
  });

  it('a token set without a sid is invalid without a request', async () => {
    s = await setup();
    const tokenSet = await s.adapter.doRefresh(refreshInput(s.clock));
    const calls = s.fake.calls.length;
    const result = await s.adapter.doValidate({ accountId: 'k', tokenSet: { ...tokenSet, secretExtras: {} }, signal: new AbortController().signal, now: s.clock.now() });
    expect(result.valid).toBe(false);
    expect(s.fake.calls).toHaveLength(calls);
  });
});

describe('helpers for consumers', () => {
  it('isKotakAuthError recognises 401/403 and stCode 100022 in the usual error shapes', () => {
    const st = { stCode: 100022, errMsg: 'invalid session token', stat: 'Not_Ok' };
    expect(isKotakAuthError({ status: 403 })).toBe(true);
    expect(isKotakAuthError({ statusCode: 401 })).toBe(true);
    expect(isKotakAuthError(st)).toBe(true);
    expect(isKotakAuthError(Object.assign(new Error('x'), { body: st }))).toBe(true);
    expect(isKotakAuthError({ response: { status: 200, data: { ...st, stCode: '100022' } } })).toBe(true);
    expect(isKotakAuthError(new Error('wrapped', { cause: { data: st } }))).toBe(true);
    expect(isKotakAuthError(new BrokerApiError({ broker: 'kotak', message: 'x', statusCode: 403 }))).toBe(true);
    expect(isKotakAuthError(new Error('boom'))).toBe(false);
    expect(isKotakAuthError({ status: 500, body: { stCode: 500 } })).toBe(false);
    expect(isKotakAuthError(undefined)).toBe(false);
  });

  it('kotakSession refuses a token set that is not Kotak’s', async () => {
    s = await setup();
    const tokenSet = await s.adapter.doRefresh(refreshInput(s.clock));
    expect(kotakSession(tokenSet).headers.Sid).toBe(tokenSet.secretExtras!.sid!.reveal());
    const error = (() => {
      try {
        kotakSession({ ...tokenSet, secretExtras: undefined });
      } catch (e) {
        return e;
      }
    })();
    expect(TokensError.isInstance(error) && (error as InvalidInputError).field).toBe('secretExtras.sid');
  });
});
