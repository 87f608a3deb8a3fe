import { afterEach, describe, expect, it } from 'vitest';
import { BrokerApiError, InvalidCredentialsError, LoginRequiredError, NetworkError, Secret } from '@tokens/core';
import { decodeJwtPayload } from '@tokens/broker-utils';
import { sendJson, startLoopbackServer, type LoopbackServer } from '@tokens/broker-utils/testing';
import { createFyers, fyersTokenSetFromTokens } from '../src';
import { APP_ID, APP_ID_HASH, APP_SECRET, DAY, HOUR, PIN, REDIRECT_URI, ist, rejection, setup, signal, tokenSetOf, type Setup } from './helpers';

let s: Setup;
afterEach(() => s?.close());

const REFRESH_PATH = '/api/v3/validate-refresh-token';

async function refreshSeeded(s: Setup, at = ist('2026-01-06T08:45')) {
  const session = s.fake.issueSession();
  await s.clock.advanceTo(at);
  const current = tokenSetOf(session);
  const run = () => s.adapter.doRefresh({ accountId: 'fyers-main', current, signal: signal(), now: s.clock.now() });
  return { session, current, run };
}

describe('doRefresh', () => {
  it('POSTs the refresh grant with appIdHash, refresh token and PIN as JSON and returns a token set dying at the next 06:00 IST', async () => {
    s = await setup();
    const { session, run } = await refreshSeeded(s);
    const renewed = await run();

    expect(s.fake.calls).toHaveLength(1);
    const call = s.fake.calls[0]!;
    expect(call.method).toBe('POST');
    expect(call.path).toBe(REFRESH_PATH);
    expect(call.query).toEqual({});
    expect(call.headers['content-type']).toBe('application/json');
    expect(call.headers.authorization).toBeUndefined();
    expect(call.json).toEqual({ grant_type: 'refresh_token', appIdHash: APP_ID_HASH, refresh_token: session.refreshToken, pin: PIN });

    // A new access token only; the refresh token and its 15-day clock carry over.
    expect(renewed.accessToken.reveal()).not.toBe(session.accessToken);
    expect(s.fake.accessTokenStatus(renewed.accessToken.reveal())).toBe('valid');
    expect(decodeJwtPayload(renewed.accessToken).sub).toBe('access_token');
    expect(renewed.expiresAt).toBe(ist('2026-01-07T06:00'));
    expect(renewed.issuedAt).toBe(ist('2026-01-06T08:45'));
    expect(renewed.refreshToken?.reveal()).toBe(session.refreshToken);
    expect(renewed.refreshExpiresAt).toBe(ist('2026-01-05T10:00') + 15 * DAY);
    expect(renewed.extras).toEqual({ appId: APP_ID });
    expect(JSON.stringify(renewed)).not.toContain(session.refreshToken);
  });

  it('derives refreshExpiresAt from the refresh JWT (login time + 15 days) for a token imported without one', async () => {
    s = await setup();
    const { current } = await refreshSeeded(s);
    delete current.refreshExpiresAt;
    const renewed = await s.adapter.doRefresh({ accountId: 'a', current, signal: signal(), now: s.clock.now() });
    expect(renewed.refreshExpiresAt).toBe(ist('2026-01-05T10:00') + 15 * DAY);
  });

  it('fyersTokenSetFromTokens: tokens from the hand-made setup become a token set the adapter renews', async () => {
    s = await setup();
    const session = s.fake.issueSession(); // minted by "the old script" at 10:00
    await s.clock.advanceTo(ist('2026-01-05T18:00'));
    const imported = fyersTokenSetFromTokens({ appId: APP_ID, accessToken: session.accessToken, refreshToken: session.refreshToken, now: s.clock.now() });
    expect(imported).toMatchObject({ expiresAt: ist('2026-01-06T06:00'), refreshExpiresAt: ist('2026-01-05T10:00') + 15 * DAY, extras: { appId: APP_ID } });
    await s.clock.advanceTo(ist('2026-01-06T08:45'));
    expect(imported.refreshToken?.reveal()).toBe(session.refreshToken);
    const renewed = await s.adapter.doRefresh({ accountId: 'a', current: imported, signal: signal(), now: s.clock.now() });
    expect(renewed.expiresAt).toBe(ist('2026-01-07T06:00'));
    expect(renewed.refreshExpiresAt).toBe(imported.refreshExpiresAt);
    // An access token alone (no refresh token) cannot be renewed.
    const accessOnly = fyersTokenSetFromTokens({ appId: APP_ID, accessToken: session.accessToken, now: s.clock.now() });
    expect(accessOnly.refreshToken).toBeUndefined();
    expect(await rejection(s.adapter.doRefresh({ accountId: 'a', current: accessOnly, signal: signal(), now: s.clock.now() }))).toMatchObject({ code: 'LOGIN_REQUIRED' });
  });

  it('past refreshExpiresAt: LoginRequiredError without spending a request', async () => {
    s = await setup();
    const { run } = await refreshSeeded(s, ist('2026-01-20T10:00'));
    const error = await rejection(run());
    expect(LoginRequiredError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'LOGIN_REQUIRED', needsHuman: true, isRetryable: false, broker: 'fyers' });
    expect(error.message).toContain('2026-01-20 10:00 IST');
    expect(s.fake.calls).toHaveLength(0);
  });

  it('no refresh token stored: LoginRequiredError without a request', async () => {
    s = await setup();
    const error = await rejection(s.adapter.doRefresh({ accountId: 'a', signal: signal(), now: s.clock.now() }));
    expect(LoginRequiredError.isInstance(error)).toBe(true);
    expect(s.fake.calls).toHaveLength(0);
  });

  it.each([
    ['server-error', { statusCode: 500, brokerCode: -99, isRetryable: true, needsHuman: false, isAuthError: false }],
    ['rate-limit', { statusCode: 429, brokerCode: -429, isRetryable: true, needsHuman: false, retryAfterMs: undefined }],
    ['malformed', { statusCode: 200, isRetryable: true, needsHuman: false, code: 'BROKER_API_ERROR' }],
  ] as const)("fault '%s' → retryable BrokerApiError", async (mode, expected) => {
    s = await setup();
    const { run } = await refreshSeeded(s);
    s.fake.fault(mode);
    const error = await rejection(run());
    expect(BrokerApiError.isInstance(error)).toBe(true);
    expect(error).toMatchObject(expected);
    expect(s.fake.calls.map((c) => c.path)).toEqual([REFRESH_PATH]);
    // One shot: the next refresh works.
    await expect(run()).resolves.toMatchObject({ expiresAt: ist('2026-01-07T06:00') });
  });

  it('a 429 with Retry-After exposes retryAfterMs', async () => {
    s = await setup();
    const { run } = await refreshSeeded(s);
    s.fake.fault('rate-limit', { retryAfterSeconds: 7 });
    expect(await rejection(run())).toMatchObject({ statusCode: 429, retryAfterMs: 7_000, isRetryable: true });
  });

  it.each(['reset', 'timeout'] as const)("fault '%s' → retryable NetworkError", async (mode) => {
    s = await setup({ settings: { timeoutMs: 250 } });
    const { run } = await refreshSeeded(s);
    s.fake.fault(mode);
    const error = await rejection(run());
    expect(NetworkError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', isRetryable: true });
    if (mode === 'timeout') expect(error.message).toContain('within 250 ms');
  });

  it.each([
    ['revoked', 401, -16],
    ['wrong-pin', 400, -1],
    ['refresh-expired', 401, -8],
  ] as const)("fault '%s' → LoginRequiredError (cause: HTTP %i, code %i)", async (mode, status, code) => {
    s = await setup();
    const { run } = await refreshSeeded(s);
    s.fake.fault(mode);
    const error = await rejection(run());
    expect(LoginRequiredError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ needsHuman: true, isRetryable: false });
    expect(error.message).toContain(`HTTP ${status}, code ${code}`);
    expect(error.cause).toMatchObject({ statusCode: status, brokerCode: code });
  });

  it('a wrong PIN, an expired or a revoked refresh token at the real fake all need a human', async () => {
    s = await setup({ fake: { refreshTokenLifetimeMs: DAY } });
    const { session, current } = await refreshSeeded(s);
    const now = s.clock.now();
    const wrongPin = createFyers({ appId: APP_ID, appSecret: APP_SECRET, pin: '0000', redirectUri: REDIRECT_URI, baseUrl: s.fake.url });
    expect(await rejection(wrongPin.doRefresh({ accountId: 'a', current, signal: signal(), now }))).toMatchObject({ code: 'LOGIN_REQUIRED' });
    expect(s.fake.calls.at(-1)?.json).toMatchObject({ pin: '0000' });

    s.fake.revokeRefreshToken(session.refreshToken);
    expect(await rejection(s.adapter.doRefresh({ accountId: 'a', current, signal: signal(), now }))).toMatchObject({ code: 'LOGIN_REQUIRED' });

    // The fake's refresh token lives one day; the adapter still believes 15: the broker's verdict wins.
    const fresh = { ...tokenSetOf(s.fake.issueSession()), refreshExpiresAt: s.clock.now() + 15 * DAY };
    await s.clock.advance(2 * DAY);
    const expired = await rejection(s.adapter.doRefresh({ accountId: 'a', current: fresh, signal: signal(), now: s.clock.now() }));
    expect(expired).toMatchObject({ code: 'LOGIN_REQUIRED' });
    expect(expired.cause).toMatchObject({ statusCode: 401, brokerCode: -8 });
  });

  it('a wrong app secret (code −371) → InvalidCredentialsError, not a login prompt', async () => {
    s = await setup();
    const { current } = await refreshSeeded(s);
    const wrong = createFyers({ appId: APP_ID, appSecret: 'WRONGSECRET', pin: PIN, redirectUri: REDIRECT_URI, baseUrl: s.fake.url });
    const error = await rejection(wrong.doRefresh({ accountId: 'a', current, signal: signal(), now: s.clock.now() }));
    expect(InvalidCredentialsError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'INVALID_CREDENTIALS', needsHuman: true, isRetryable: false });
    expect(error.message).toContain('code -371');
    expect(error.message).toContain('appSecret');
  });
});

describe('error classification by status and envelope (never one code alone)', () => {
  let broker: LoopbackServer;
  afterEach(() => broker?.close());

  const cases = [
    ['HTTP 200 carrying the error envelope −16', 'LOGIN_REQUIRED', false, 200, { s: 'error', code: -16, message: 'Could not authenticate the user' }],
    ['HTTP 400 with an unknown negative code', 'LOGIN_REQUIRED', false, 400, { s: 'error', code: -9999, message: 'something new' }],
    ['HTTP 403 with a non-JSON body', 'LOGIN_REQUIRED', false, 403, '<html>Forbidden</html>'],
    ['HTTP 400 with code −429', 'BROKER_API_ERROR', true, 400, { s: 'error', code: -429, message: 'request limit reached' }],
    ['HTTP 503 from a gateway (HTML)', 'BROKER_API_ERROR', true, 503, '<html>503 Service Temporarily Unavailable</html>'],
    ['HTTP 400 with code −352 (invalid app id)', 'INVALID_CREDENTIALS', false, 400, { s: 'error', code: -352, message: 'Invalid App ID' }],
    ['HTTP 200 ok without an access token', 'BROKER_API_ERROR', true, 200, { s: 'ok', code: 200, message: '' }],
  ] as const;

  it.each(cases)('refresh: %s → %s (retryable: %s)', async (_name, code, retryable, status, body) => {
    broker = await startLoopbackServer((_req, res) => {
      if (typeof body === 'string') res.writeHead(status, { 'content-type': 'text/html' }).end(body);
      else sendJson(res, status, body);
    });
    const adapter = createFyers({ appId: APP_ID, appSecret: APP_SECRET, pin: PIN, redirectUri: REDIRECT_URI, baseUrl: `${broker.url}/api/v3` });
    const now = ist('2026-01-06T08:45');
    const current = { accessToken: new Secret('a.b.c'), refreshToken: new Secret('r.e.f'), issuedAt: now - DAY, expiresAt: now - HOUR, refreshExpiresAt: now + DAY };
    const error = await rejection(adapter.doRefresh({ accountId: 'a', current, signal: signal(), now }));
    expect(error).toMatchObject({ code, isRetryable: retryable });
    expect(broker.calls[0]).toMatchObject({ method: 'POST', path: REFRESH_PATH });
  });
});
