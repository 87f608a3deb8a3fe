import { afterEach, describe, expect, it } from 'vitest';
import { InvalidInputError, LoginRequiredError, Secret, type TokenSetV1 } from '@tokens/core';
import { createBrokerHttp } from '@tokens/broker-utils';
import { sendJson, startLoopbackServer } from '@tokens/broker-utils/testing';
import { createDhan } from '../src';
import { dhanErrorFromResponse } from '../src/dhan-errors';
import { DAY, HOUR, rejection, setup, signal, START, type Setup } from './helpers';

let s: Setup | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

function tokenSetOf(t: { accessToken: string; issuedAt: number; expiresAt: number }): TokenSetV1 {
  return { accessToken: new Secret(t.accessToken), issuedAt: t.issuedAt, expiresAt: t.expiresAt };
}

describe('mode renew: GET /v2/RenewToken', () => {
  it('sends the current token and client id as headers (GET, no body) and returns the new 24 h token; the old one dies', async () => {
    s = await setup('renew');
    const current = tokenSetOf(s.fake.activeToken()!);
    await s.clock.advance(18 * HOUR);
    const renewed = await s.refresh(current);

    expect(s.fake.calls).toHaveLength(1);
    const call = s.fake.calls[0]!;
    expect(call.method).toBe('GET');
    expect(call.path).toBe('/v2/RenewToken');
    expect(call.query).toEqual({});
    expect(call.rawBody).toBe('');
    expect(call.headers['access-token']).toBe(current.accessToken.reveal());
    expect(call.headers.dhanclientid).toBe('1000000401');
    expect(call.headers.accept).toBe('application/json');

    expect(renewed).toMatchObject({ issuedAt: START + 18 * HOUR, expiresAt: START + 18 * HOUR + DAY, extras: { dhanClientId: '1000000401', source: 'renew' } });
    expect(s.fake.isTokenValid(renewed.accessToken.reveal())).toBe(true);
    expect(s.fake.isTokenValid(current.accessToken.reveal())).toBe(false);
  });

  it('an expired token is not sent to Dhan at all: LoginRequiredError saying how to get a new one', async () => {
    s = await setup('renew');
    const current = tokenSetOf(s.fake.activeToken()!);
    await s.clock.advance(DAY);
    const error = await rejection(s.refresh(current));
    expect(LoginRequiredError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ needsHuman: true, isRetryable: false });
    expect(error.message).toBe(
      'The Dhan access token of client ******0401 expired at 2026-01-06 09:30 IST and Dhan renews only active tokens. Generate a new token on web.dhan.co (My Profile → Access DhanHQ APIs) and set `accessToken`.',
    );
    expect(s.fake.calls).toEqual([]);
  });

  it('a token Dhan no longer accepts (replaced, revoked) is answered 401 DH-901: LoginRequiredError', async () => {
    s = await setup('renew');
    const current = tokenSetOf(s.fake.activeToken()!);
    s.fake.issueToken(); // someone generated another token on Dhan Web
    const error = await rejection(s.refresh(current));
    expect(LoginRequiredError.isInstance(error)).toBe(true);
    expect(error.message).toContain(': DH-901 "Client ID or user generated access token is invalid or expired.". It expired, was revoked or was replaced');
    expect(error.cause).toMatchObject({ statusCode: 401, brokerCode: 'DH-901', isAuthError: true });
    expect(s.fake.calls.map((c) => c.path)).toEqual(['/v2/RenewToken']);
  });

  it('without a stored token set, the configured Dhan Web token is adopted after a profile probe, not renewed', async () => {
    s = await setup('renew');
    const web = s.fake.activeToken()!;
    await s.clock.advance(2 * HOUR);
    const adopted = await s.refresh();
    expect(s.fake.calls.map((c) => `${c.method} ${c.path}`)).toEqual(['GET /v2/profile']);
    expect(s.fake.calls[0]!.headers['access-token']).toBe(web.accessToken);
    expect(adopted.accessToken.reveal()).toBe(web.accessToken);
    // The JWT's exp and iat, so the engine renews 18 h after the human generated it.
    expect(adopted).toMatchObject({ issuedAt: START, expiresAt: START + DAY, extras: { source: 'configured' } });
    expect(s.fake.isTokenValid(web.accessToken)).toBe(true);
  });

  it('a configured token newer than the stored one (a human pasted a fresh one) wins over renewing the old one', async () => {
    s = await setup('renew');
    const stored = tokenSetOf(s.fake.activeToken()!);
    await s.clock.advance(HOUR);
    const fresh = s.fake.issueToken().accessToken;
    const adapter = createDhan({ mode: 'renew', clientId: '1000000401', accessToken: fresh, baseUrl: s.fake.url, authBaseUrl: s.fake.authUrl, environment: {} });
    const out = await adapter.doRefresh({ accountId: 'a', current: stored, now: s.now(), signal: signal() });
    expect(out.accessToken.reveal()).toBe(fresh);
    expect(s.fake.calls.map((c) => c.path)).toEqual(['/v2/profile']);
  });

  it('an older configured token is ignored once the chain has moved on', async () => {
    s = await setup('renew');
    const first = tokenSetOf(s.fake.activeToken()!);
    const second = await s.refresh(first);
    const third = await s.refresh(second);
    expect(s.fake.calls.map((c) => c.headers['access-token'])).toEqual([first.accessToken.reveal(), second.accessToken.reveal()]);
    expect(s.fake.isTokenValid(third.accessToken.reveal())).toBe(true);
  });

  it('a configured token that expired, with nothing stored, is LoginRequiredError without a call', async () => {
    s = await setup('renew');
    await s.clock.advance(DAY + 1);
    const error = await rejection(s.refresh());
    expect(error).toMatchObject({ code: 'LOGIN_REQUIRED' });
    expect(error.message).toContain('expired at 2026-01-06 09:30 IST');
    expect(s.fake.calls).toEqual([]);
  });

  it('a configured token Dhan rejects is LoginRequiredError after the probe', async () => {
    s = await setup('renew');
    s.fake.revokeToken(s.fake.activeToken()!.accessToken);
    const error = await rejection(s.refresh());
    expect(error).toMatchObject({ code: 'LOGIN_REQUIRED' });
    expect(error.message).toContain('is not accepted: Dhan rejected the access token: DH-901 "Client ID');
  });

  it('accepts `token` instead of `accessToken` in the RenewToken answer (community scripts read `json.token`)', async () => {
    const server = await startLoopbackServer((_req, res) => sendJson(res, 200, { token: 'renewed-token-value-123', expiryTime: '2026-01-06T15:00:00.000' }));
    try {
      const adapter = createDhan({ mode: 'renew', clientId: '1000000401', accessToken: 'old-token', baseUrl: `${server.url}/v2`, environment: {} });
      const now = Date.UTC(2026, 0, 5, 9, 0);
      const out = await adapter.doRefresh({ accountId: 'a', now, signal: signal(), current: { accessToken: new Secret('old-token'), issuedAt: now - 18 * HOUR, expiresAt: now + HOUR } });
      expect(out.accessToken.reveal()).toBe('renewed-token-value-123');
      // expiryTime has no offset: read as IST (15:00 IST = 09:30 UTC).
      expect(out.expiresAt).toBe(Date.UTC(2026, 0, 6, 9, 30));
      expect(server.calls.map((c) => `${c.method} ${c.path}`)).toEqual(['GET /v2/RenewToken']);
    } finally {
      await server.close();
    }
  });

  it('a POST to RenewToken is answered 400 DH-905 by Dhan and reported as InvalidInputError with its message', async () => {
    s = await setup('renew');
    const http = createBrokerHttp({ broker: 'dhan', baseUrl: s.fake.url });
    const token = s.fake.activeToken()!.accessToken;
    const response = await http.request('/RenewToken', { method: 'POST', headers: { 'access-token': token, dhanClientId: '1000000401' } });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.bodyText)).toEqual({
      errorType: 'Input_Exception',
      errorCode: 'DH-905',
      errorMessage: 'Missing required fields, bad values for parameters etc.',
    });
    const error = dhanErrorFromResponse(response, 'RenewToken', { clientLabel: '******0401' });
    expect(InvalidInputError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'INVALID_INPUT', isRetryable: false, needsHuman: false });
    expect(error.message).toBe('Dhan rejected POST /v2/RenewToken as invalid input: DH-905 "Missing required fields, bad values for parameters etc.".');
    expect(error.cause).toMatchObject({ statusCode: 400, brokerCode: 'DH-905' });
    // The token was not renewed.
    expect(s.fake.isTokenValid(token)).toBe(true);
  });
});
