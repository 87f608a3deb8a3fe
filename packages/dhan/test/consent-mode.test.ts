import { afterEach, describe, expect, it } from 'vitest';
import { InvalidCredentialsError, InvalidInputError, LoginRequiredError } from '@tokens/core';
import { parseDhanPasted } from '../src';
import { FAKE_DHAN_APP } from '../src/fake';
import { DAY, rejection, setup, signal, START, type Setup } from './helpers';

let s: Setup | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe('mode consent: the API-key login', () => {
  it('authorizeUrl() generates a consent (POST generate-consent?client_id with app_id/app_secret headers) and returns the login page URL', async () => {
    s = await setup('consent');
    const url = await s.adapter.login!.authorizeUrl({ state: 'st-123', redirectUri: 'http://127.0.0.1:8765/callback' });

    expect(s.fake.calls).toHaveLength(1);
    const call = s.fake.calls[0]!;
    expect(call).toMatchObject({ method: 'POST', path: '/auth/app/generate-consent', query: { client_id: '1000000401' }, rawBody: '' });
    expect(call.headers.app_id).toBe(FAKE_DHAN_APP.apiKey);
    expect(call.headers.app_secret).toBe(FAKE_DHAN_APP.apiSecret);

    const parsed = new URL(url);
    expect(`${parsed.origin}${parsed.pathname}`).toBe(`${s.fake.authUrl}/login/consentApp-login`);
    expect([...parsed.searchParams.keys()]).toEqual(['consentAppId', 'state']);
    expect(parsed.searchParams.get('consentAppId')).toMatch(/^[0-9a-f-]{36}$/);
    expect(parsed.searchParams.get('state')).toBe('st-123');
  });

  it('the human logs in; doExchange() consumes the tokenId (GET consumeApp-consent?tokenId with the app headers) and returns a 24 h token', async () => {
    s = await setup('consent');
    const url = await s.adapter.login!.authorizeUrl({ state: 'st-1' });
    const redirected = await s.fake.browserLogin(url);
    const params = s.adapter.login!.parsePasted!(redirected);
    expect(Object.keys(params)).toEqual(['tokenId', 'state']);
    expect(params.state).toBe('st-1');
    expect(redirected.startsWith(`${FAKE_DHAN_APP.redirectUrl}?tokenId=`)).toBe(true);

    const tokenSet = await s.adapter.login!.doExchange({ accountId: 'a', callbackParams: params, now: s.now(), signal: signal() });
    const consume = s.fake.calls.at(-1)!;
    expect(consume).toMatchObject({ method: 'GET', path: '/auth/app/consumeApp-consent', query: { tokenId: params.tokenId }, rawBody: '' });
    expect(consume.headers.app_id).toBe(FAKE_DHAN_APP.apiKey);
    expect(consume.headers.app_secret).toBe(FAKE_DHAN_APP.apiSecret);
    expect(s.fake.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /auth/app/generate-consent',
      'GET /auth/login/consentApp-login',
      'POST /auth/login/consentApp-login',
      'GET /auth/app/consumeApp-consent',
    ]);
    expect(tokenSet).toMatchObject({ issuedAt: START, expiresAt: START + DAY, extras: { source: 'consent', dhanClientId: '1000000401' } });
    expect(s.fake.activeToken()?.accessToken).toBe(tokenSet.accessToken.reveal());
  });

  it('a tokenId works once: the second exchange is InvalidInputError with Dhan\'s message', async () => {
    s = await setup('consent');
    const params = s.adapter.login!.parsePasted!(await s.fake.browserLogin(await s.adapter.login!.authorizeUrl({ state: 'x' })));
    await s.adapter.login!.doExchange({ accountId: 'a', callbackParams: params, now: s.now(), signal: signal() });
    const error = await rejection(s.adapter.login!.doExchange({ accountId: 'a', callbackParams: params, now: s.now(), signal: signal() }));
    expect(InvalidInputError.isInstance(error)).toBe(true);
    // Path only: the fake serves both hosts from one origin (against Dhan the label is https://auth.dhan.co/app/…).
    expect(error.message).toBe('Dhan rejected GET /auth/app/consumeApp-consent as invalid input: DH-905 "Invalid or expired tokenId.".');
    expect(error.message).not.toContain(params.tokenId!);
  });

  it('a wrong API secret is InvalidCredentialsError on generate-consent', async () => {
    s = await setup('consent', { apiSecret: 'not-the-secret' });
    const error = await rejection(async () => s!.adapter.login!.authorizeUrl({ state: 'x' }));
    expect(InvalidCredentialsError.isInstance(error)).toBe(true);
    expect(error.message).toBe(
      'Dhan refused the API key login for client ******0401: DH-901 "Client ID or user generated access token is invalid or expired.". Check `apiKey` and `apiSecret` (API keys last 12 months).',
    );
    expect(JSON.stringify(error)).not.toContain('not-the-secret');
  });

  it('doExchange() without a tokenId is InvalidInputError and calls nobody', async () => {
    s = await setup('consent');
    const error = await rejection(s.adapter.login!.doExchange({ accountId: 'a', callbackParams: { state: 'x' }, now: s.now(), signal: signal() }));
    expect(error).toMatchObject({ code: 'INVALID_INPUT', field: 'callbackParams.tokenId' });
    expect(s.fake.calls).toEqual([]);
  });

  it('doRefresh() cannot renew: LoginRequiredError pointing at the login link', async () => {
    s = await setup('consent');
    const error = await rejection(s.refresh());
    expect(LoginRequiredError.isInstance(error)).toBe(true);
    expect(error.message).toBe(
      'Dhan account ******0401 uses mode "consent": a human logs in through Dhan\'s consent page every day. Open the login link to get today\'s token.',
    );
    expect(s.fake.calls).toEqual([]);
  });

  it('declares renewal "none" with an OAuth-redirect login; totp and renew declare "relogin", with the login only when an API key is set', async () => {
    s = await setup('consent');
    expect(s.adapter.capabilities).toEqual({ renewal: 'none', validate: true, renewalInvalidatesPrevious: true, interactiveLogin: 'oauth-redirect' });
    const totp = await setup('totp');
    const renew = await setup('renew', { apiKey: 'k-1', apiSecret: 's-1' });
    try {
      expect(totp.adapter.capabilities).toEqual({ renewal: 'relogin', validate: true, renewalInvalidatesPrevious: true });
      expect(totp.adapter.login).toBeUndefined();
      expect(renew.adapter.capabilities.interactiveLogin).toBe('oauth-redirect');
      expect(renew.adapter.mode).toBe('renew');
      expect(renew.adapter.expiryRule).toEqual({ kind: 'fixed-lifetime', lifetimeMs: DAY });
    } finally {
      await totp.close();
      await renew.close();
    }
  });
});

describe('parseDhanPasted', () => {
  it('reads the redirected URL, a bare query, the partner spelling `tokenid`, and a bare tokenId', () => {
    expect(parseDhanPasted('  http://127.0.0.1:8765/callback?tokenId=abc-123-def&state=s1#frag \n')).toEqual({ tokenId: 'abc-123-def', state: 's1' });
    expect(parseDhanPasted('https://example.com/cb?tokenId=abc-123-def')).toEqual({ tokenId: 'abc-123-def' });
    expect(parseDhanPasted('tokenid=abc-123-def')).toEqual({ tokenId: 'abc-123-def' });
    expect(parseDhanPasted('abc-123-def')).toEqual({ tokenId: 'abc-123-def' });
  });

  it('anything else is InvalidInputError that says what to paste', () => {
    for (const text of ['', '   ', 'https://example.com/cb?code=1', 'tokenId=', 'not a token at all']) {
      expect(() => parseDhanPasted(text)).toThrowError(/Paste the whole address Dhan redirected your browser to/);
    }
  });
});
