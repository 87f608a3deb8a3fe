import { afterEach, describe, expect, it } from 'vitest';
import { BrokerApiError, Secret } from '@tokens/core';
import { sendJson, startLoopbackServer, type LoopbackServer } from '@tokens/broker-utils/testing';
import { createFyers } from '../src';
import { APP_ID, APP_SECRET, DAY, PIN, REDIRECT_URI, ist, rejection, setup, signal, tokenSetOf, type Setup } from './helpers';

let s: Setup;
afterEach(() => s?.close());

describe('doValidate (GET /profile)', () => {
  it('sends `Authorization: <appId>:<accessToken>` with no scheme word and no body; ok → valid', async () => {
    s = await setup();
    const tokenSet = tokenSetOf(s.fake.issueSession());
    const result = await s.adapter.doValidate({ accountId: 'a', tokenSet, signal: signal(), now: s.clock.now() });
    expect(result).toEqual({ valid: true });
    expect(s.fake.calls).toHaveLength(1);
    const call = s.fake.calls[0]!;
    expect(call).toMatchObject({ method: 'GET', path: '/api/v3/profile', query: {}, rawBody: '' });
    expect(call.headers.authorization).toBe(`${APP_ID}:${tokenSet.accessToken.reveal()}`);
  });

  it('a token the broker rejects (revoked, logged out elsewhere) → valid: false with the reason, no throw', async () => {
    s = await setup();
    const tokenSet = tokenSetOf(s.fake.issueSession());
    s.fake.revokeAccessToken(tokenSet.accessToken.reveal());
    const result = await s.adapter.doValidate({ accountId: 'a', tokenSet, signal: signal(), now: s.clock.now() });
    expect(result).toEqual({ valid: false, reason: 'FYERS rejected the token (HTTP 401, code -16: Could not authenticate the user)' });
  });

  it('past 06:00 IST the token is invalid without a request', async () => {
    s = await setup();
    const tokenSet = tokenSetOf(s.fake.issueSession());
    await s.clock.advanceTo(ist('2026-01-06T06:00'));
    const result = await s.adapter.doValidate({ accountId: 'a', tokenSet, signal: signal(), now: s.clock.now() });
    expect(result).toEqual({ valid: false, reason: 'expired at 2026-01-06 06:00 IST' });
    expect(s.fake.calls).toHaveLength(0);
  });

  it('a 5xx or a 429 is thrown (retryable), not reported as an invalid token', async () => {
    s = await setup();
    const tokenSet = tokenSetOf(s.fake.issueSession());
    for (const mode of ['server-error', 'rate-limit'] as const) {
      s.fake.fault(mode);
      const error = await rejection(s.adapter.doValidate({ accountId: 'a', tokenSet, signal: signal(), now: s.clock.now() }));
      expect(BrokerApiError.isInstance(error)).toBe(true);
      expect(error.isRetryable).toBe(true);
    }
  });

  describe('auth codes −8, −15, −17 and 401/403 all mean "invalid"', () => {
    let broker: LoopbackServer;
    afterEach(() => broker?.close());

    it.each([
      [401, -8, 'Token is expired'],
      [401, -15, 'Please provide valid token'],
      [401, -17, 'Could not authenticate the user or Token is Expired'],
      [200, -15, 'Please provide valid token'],
      [403, -373, 'please provide valid permission'],
    ])('HTTP %i, code %i → valid: false', async (status, code, message) => {
      broker = await startLoopbackServer((_req, res) => sendJson(res, status, { s: 'error', code, message }));
      const adapter = createFyers({ appId: APP_ID, appSecret: APP_SECRET, pin: PIN, redirectUri: REDIRECT_URI, baseUrl: `${broker.url}/api/v3` });
      const now = ist('2026-01-06T10:00');
      const tokenSet = { accessToken: new Secret('a.b.c'), issuedAt: now, expiresAt: now + DAY };
      const result = await adapter.doValidate({ accountId: 'a', tokenSet, signal: signal(), now });
      expect(result.valid).toBe(false);
      expect(result.reason).toContain(`code ${code}`);
    });
  });
});
