import { describe, expect, it } from 'vitest';
import { BrokerApiError, InvalidInputError, LoginRequiredError, NetworkError, Secret, type TokenSetV1 } from '@tokens/core';
import { createKite, kiteLogout } from '../src';
import { API_KEY, API_SECRET, ist, loginParams, sha256, signal, startRig, type KiteRig } from './helpers';

async function loggedIn(rig: KiteRig): Promise<TokenSetV1> {
  const params = await loginParams(rig);
  const tokenSet = await rig.kite.login.doExchange({ accountId: 'k', callbackParams: params, signal: signal(), now: rig.clock.now() });
  rig.take();
  return tokenSet;
}

const validate = (rig: KiteRig, tokenSet: TokenSetV1) => rig.kite.doValidate!({ accountId: 'k', tokenSet, signal: signal(), now: rig.clock.now() });

describe('validity probe: GET /user/profile', () => {
  it('sends Authorization: token api_key:access_token and X-Kite-Version 3; a live session is valid', async () => {
    const rig = await startRig();
    try {
      const tokenSet = await loggedIn(rig);
      expect(await validate(rig, tokenSet)).toEqual({ valid: true });
      const [call, ...rest] = rig.take();
      expect(rest).toEqual([]);
      expect(call).toMatchObject({ method: 'GET', path: '/user/profile', query: {}, rawBody: '' });
      expect(call!.headers.authorization).toBe(`token ${API_KEY}:${tokenSet.accessToken.reveal()}`);
      expect(call!.headers['x-kite-version']).toBe('3');
    } finally {
      await rig.close();
    }
  });

  it('reports valid: false (without throwing) after a master logout, a revoke, and after 06:00 IST', async () => {
    const rig = await startRig();
    try {
      const a = await loggedIn(rig);
      expect(rig.fake.masterLogout()).toBe(1);
      expect(await validate(rig, a)).toEqual({
        valid: false,
        reason: 'Kite rejected the session (HTTP 403 TokenException): logged out, master logout on Kite web, or past the 06:00 IST expiry.',
      });
      const b = await loggedIn(rig);
      rig.fake.invalidate(b.accessToken.reveal());
      expect((await validate(rig, b)).valid).toBe(false);
      const c = await loggedIn(rig);
      await rig.clock.advanceTo(ist(2026, 1, 6, 5, 59));
      expect((await validate(rig, c)).valid).toBe(true);
      await rig.clock.advanceTo(ist(2026, 1, 6, 6, 0));
      expect((await validate(rig, c)).valid).toBe(false);
    } finally {
      await rig.close();
    }
  });

  it('throws typed, retryable errors for 429 (with Retry-After), 5xx, NetworkException, resets and timeouts', async () => {
    const rig = await startRig({ settings: { timeoutMs: 150 } });
    try {
      const t = await loggedIn(rig);
      const fail = () => validate(rig, t).catch((e: unknown) => e);
      rig.fake.fault('rate-limit', { retryAfterSeconds: 7 });
      expect(await fail()).toMatchObject({ name: 'BrokerApiError', statusCode: 429, retryAfterMs: 7_000, isRetryable: true, needsHuman: false, brokerCode: 'NetworkException' });
      rig.fake.fault('server-error');
      expect(await fail()).toMatchObject({ statusCode: 500, brokerCode: 'GeneralException', isRetryable: true, isAuthError: false });
      rig.fake.failNext({ status: 502, errorType: 'NetworkException', message: 'Gateway error' });
      expect(await fail()).toMatchObject({ statusCode: 502, isRetryable: true });
      // NetworkException is retryable whatever the status says.
      rig.fake.failNext({ status: 400, errorType: 'NetworkException', message: 'OMS unreachable' });
      const oms = await fail();
      expect(oms).toMatchObject({ statusCode: 400, brokerCode: 'NetworkException', isRetryable: true });
      expect((oms as Error).message).toBe('Kite answered GET /user/profile with HTTP 400 NetworkException: OMS unreachable. Retrying later should help.');
      rig.fake.fault('reset');
      expect(NetworkError.isInstance(await fail())).toBe(true);
      rig.fake.fault('timeout');
      const timedOut = await fail();
      expect(timedOut).toMatchObject({ code: 'NETWORK_ERROR', isRetryable: true });
      expect((timedOut as Error).message).toBe('kite did not answer GET /user/profile within 150 ms.');
      rig.fake.fault('malformed');
      expect(await fail()).toMatchObject({ name: 'BrokerApiError', statusCode: 200, isRetryable: false });
      // Every fault hit one request: the session is still fine.
      expect(await validate(rig, t)).toEqual({ valid: true });
    } finally {
      await rig.close();
    }
  });

  it('maps InputException to InvalidInputError carrying Kite message, and other 4xx to a non-retryable BrokerApiError', async () => {
    const rig = await startRig();
    try {
      const t = await loggedIn(rig);
      rig.fake.failNext({ status: 400, errorType: 'InputException', message: 'Invalid `segment`.' });
      const input = await validate(rig, t).catch((e: unknown) => e);
      expect(InvalidInputError.isInstance(input)).toBe(true);
      expect(input).toMatchObject({ code: 'KITE_INPUT_EXCEPTION', isRetryable: false, message: 'Kite refused the session as invalid input (HTTP 400 InputException: Invalid `segment`.).' });
      rig.fake.failNext({ status: 410, errorType: 'GeneralException', message: 'Gone' });
      expect(await validate(rig, t).catch((e: unknown) => e)).toMatchObject({ statusCode: 410, isRetryable: false, isAuthError: false });
    } finally {
      await rig.close();
    }
  });
});

describe('doRefresh', () => {
  it('normal apps cannot renew: LoginRequiredError (needsHuman, not retryable) and no request', async () => {
    const rig = await startRig();
    try {
      expect(rig.kite.capabilities).toEqual({ renewal: 'none', interactiveLogin: 'oauth-redirect', validate: true });
      expect(rig.kite.expiryRule).toEqual({ kind: 'daily', at: { time: '06:00', timeZone: 'Asia/Kolkata' } });
      expect(rig.kite.renewalWindow).toBeUndefined();
      const error = await rig.kite.doRefresh({ accountId: 'k', current: await loggedIn(rig), signal: signal(), now: rig.clock.now() }).catch((e: unknown) => e);
      expect(LoginRequiredError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ needsHuman: true, isRetryable: false, code: 'LOGIN_REQUIRED' });
      expect(rig.take()).toEqual([]);
    } finally {
      await rig.close();
    }
  });

  it("approved apps renew with POST /session/refresh_token (checksum = sha256(api_key + refresh_token + api_secret))", async () => {
    const rig = await startRig({ refreshTokens: true });
    try {
      expect(rig.kite.capabilities.renewal).toBe('refresh-token');
      expect(rig.kite.renewalWindow).toEqual({ start: '06:05', end: '08:45', timeZone: 'Asia/Kolkata' });
      const first = await loggedIn(rig);
      const rt = first.refreshToken!.reveal();
      expect(rt).toMatch(/^[A-Za-z0-9]{32}$/);
      await rig.clock.advanceTo(ist(2026, 1, 6, 6, 7));
      const now = rig.clock.now();
      const renewed = await rig.kite.doRefresh({ accountId: 'k', current: first, signal: signal(), now });
      const [call, ...rest] = rig.take();
      expect(rest).toEqual([]);
      expect(call).toMatchObject({ method: 'POST', path: '/session/refresh_token', form: { api_key: API_KEY, refresh_token: rt, checksum: sha256(API_KEY + rt + API_SECRET) } });
      expect(call!.headers['x-kite-version']).toBe('3');
      expect(renewed).toMatchObject({ issuedAt: now, expiresAt: ist(2026, 1, 7, 6, 0) });
      expect(renewed.refreshToken?.reveal()).toBe(rt);
      expect(await validate(rig, renewed)).toEqual({ valid: true });
      expect(await validate(rig, first)).toMatchObject({ valid: false });
    } finally {
      await rig.close();
    }
  });

  it('a revoked refresh token needs a human (403 TokenException)', async () => {
    const rig = await startRig({ refreshTokens: true });
    try {
      const first = await loggedIn(rig);
      await rig.kite.revoke({ tokenSet: first });
      rig.take();
      const error = await rig.kite.doRefresh({ accountId: 'k', current: first, signal: signal(), now: rig.clock.now() }).catch((e: unknown) => e);
      expect(BrokerApiError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ statusCode: 403, brokerCode: 'TokenException', needsHuman: true, isRetryable: false, isAuthError: true });
      expect((error as Error).message).toBe(
        'Kite rejected the refresh token (HTTP 403 TokenException: Invalid refresh token.). The refresh token was revoked or expired: a human must log in again.',
      );
    } finally {
      await rig.close();
    }
  });
});

describe('logout: DELETE /session/token', () => {
  it('kiteLogout() revokes the access token with api_key and access_token in the query; a second call finds it already invalid', async () => {
    const rig = await startRig();
    try {
      const tokenSet = await loggedIn(rig);
      const raw = tokenSet.accessToken.reveal();
      expect(await kiteLogout(rig.settings, { tokenSet })).toEqual({ accessToken: 'revoked' });
      const [call, ...rest] = rig.take();
      expect(rest).toEqual([]);
      expect(call).toMatchObject({ method: 'DELETE', path: '/session/token', query: { api_key: API_KEY, access_token: raw }, rawBody: '' });
      expect(call!.headers.authorization).toBe(`token ${API_KEY}:${raw}`);
      expect(call!.headers['x-kite-version']).toBe('3');
      expect(rig.fake.isActive(raw)).toBe(false);
      expect(await rig.kite.revoke({ tokenSet })).toEqual({ accessToken: 'already-invalid' });
    } finally {
      await rig.close();
    }
  });

  it('adapter.revoke() also invalidates the refresh token of an approved app (two DELETEs)', async () => {
    const rig = await startRig({ refreshTokens: true });
    try {
      const tokenSet = await loggedIn(rig);
      expect(await rig.kite.revoke({ tokenSet })).toEqual({ accessToken: 'revoked', refreshToken: 'revoked' });
      expect(rig.take().map((c) => [c.method, c.path, Object.keys(c.query).sort().join(',')])).toEqual([
        ['DELETE', '/session/token', 'access_token,api_key'],
        ['DELETE', '/session/token', 'api_key,refresh_token'],
      ]);
      expect(await rig.kite.revoke({ tokenSet, keepRefreshToken: true })).toEqual({ accessToken: 'already-invalid' });
    } finally {
      await rig.close();
    }
  });

  it('a 5xx during logout is a retryable error, not a silent success', async () => {
    const rig = await startRig();
    try {
      const tokenSet = await loggedIn(rig);
      rig.fake.fault('server-error');
      await expect(rig.kite.revoke({ tokenSet })).rejects.toMatchObject({ statusCode: 500, isRetryable: true });
      expect(rig.fake.isActive(tokenSet.accessToken.reveal())).toBe(true);
    } finally {
      await rig.close();
    }
  });
});

describe('secrets in token sets', () => {
  it('tokens and the public token are Secrets; JSON, String and inspect never show them', async () => {
    const rig = await startRig({ refreshTokens: true });
    try {
      const t = await loggedIn(rig);
      const raws = [t.accessToken.reveal(), t.refreshToken!.reveal(), t.secretExtras!.publicToken!.reveal(), API_SECRET];
      const { inspect } = await import('node:util');
      const text = `${JSON.stringify(t)}\n${String(t.accessToken)}\n${inspect(t, { depth: 5 })}\n${inspect(createKite(rig.settings), { depth: 5 })}`;
      for (const raw of raws) expect(text).not.toContain(raw);
      expect(Secret.isInstance(t.accessToken)).toBe(true);
    } finally {
      await rig.close();
    }
  });
});
