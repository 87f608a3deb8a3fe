import { afterEach, describe, expect, it } from 'vitest';
import { InvalidCredentialsError, InvalidInputError, LoginRequiredError } from '@tokens/core';
import { decodeJwtPayload } from '@tokens/broker-utils';
import { createFyers, parseFyersPasted } from '../src';
import { APP_ID, APP_ID_HASH, APP_SECRET, DAY, PIN, REDIRECT_URI, ist, rejection, setup, signal, type Setup } from './helpers';

let s: Setup;
afterEach(() => s?.close());

const STATE = 'st.4f9a-signed';

describe('browser login', () => {
  it('authorizeUrl → /generate-authcode with client_id, redirect_uri, response_type=code and state', async () => {
    s = await setup();
    const url = new URL(await s.adapter.login.authorizeUrl({ state: STATE }));
    expect(`${url.origin}${url.pathname}`).toBe(`${s.fake.url}/generate-authcode`);
    expect([...url.searchParams]).toEqual([
      ['client_id', APP_ID],
      ['redirect_uri', REDIRECT_URI],
      ['response_type', 'code'],
      ['state', STATE],
    ]);
    // The production default.
    const prod = createFyers({ appId: APP_ID, appSecret: APP_SECRET, pin: PIN, redirectUri: REDIRECT_URI, environment: {} });
    expect(await prod.login.authorizeUrl({ state: 'x' })).toBe(
      `https://api-t1.fyers.in/api/v3/generate-authcode?client_id=${APP_ID}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&response_type=code&state=x`,
    );
    // A redirectUri from the caller wins over the settings.
    const other = new URL(await s.adapter.login.authorizeUrl({ state: 'x', redirectUri: 'http://127.0.0.1:9/cb' }));
    expect(other.searchParams.get('redirect_uri')).toBe('http://127.0.0.1:9/cb');
  });

  it('the redirect carries s=ok&code=200&auth_code=…&state; the exchange POSTs the auth_code (not "code=200") with appIdHash', async () => {
    s = await setup();
    const redirected = new URL(await s.fake.browserLogin(await s.adapter.login.authorizeUrl({ state: STATE })));
    expect(`${redirected.origin}${redirected.pathname}`).toBe(REDIRECT_URI);
    const params = Object.fromEntries(redirected.searchParams);
    expect(Object.keys(params)).toEqual(['s', 'code', 'auth_code', 'state']);
    expect(params).toMatchObject({ s: 'ok', code: '200', state: STATE });
    expect(decodeJwtPayload(params.auth_code!)).toMatchObject({ iss: 'api.login.fyers.in', sub: 'auth_code', app_id: 'ABCDEFGH12' });

    const now = s.clock.now();
    const tokenSet = await s.adapter.login.doExchange({ accountId: 'a', callbackParams: params, signal: signal(), now });
    const call = s.fake.calls.at(-1)!;
    expect(call).toMatchObject({ method: 'POST', path: '/api/v3/validate-authcode', query: {} });
    expect(call.headers['content-type']).toBe('application/json');
    expect(call.json).toEqual({ grant_type: 'authorization_code', appIdHash: APP_ID_HASH, code: params.auth_code });

    expect(s.fake.accessTokenStatus(tokenSet.accessToken.reveal())).toBe('valid');
    expect(tokenSet.expiresAt).toBe(ist('2026-01-06T06:00'));
    expect(tokenSet.issuedAt).toBe(now);
    expect(tokenSet.refreshExpiresAt).toBe(now + 15 * DAY);
    expect(decodeJwtPayload(tokenSet.refreshToken!).sub).toBe('refresh_token');
    expect(tokenSet.extras).toEqual({ appId: APP_ID });
  });

  it('auth codes are single-use: a second exchange needs a new login', async () => {
    s = await setup();
    const params = Object.fromEntries(new URL(await s.fake.browserLogin(await s.adapter.login.authorizeUrl({ state: STATE }))).searchParams);
    await s.adapter.login.doExchange({ accountId: 'a', callbackParams: params, signal: signal(), now: s.clock.now() });
    const error = await rejection(s.adapter.login.doExchange({ accountId: 'a', callbackParams: params, signal: signal(), now: s.clock.now() }));
    expect(LoginRequiredError.isInstance(error)).toBe(true);
    expect(error.message).toContain('HTTP 401, code -17');
    expect(error.message).not.toContain(params.auth_code);
  });

  it('an auth code older than 30 000 s is refused', async () => {
    s = await setup();
    const params = Object.fromEntries(new URL(await s.fake.browserLogin(await s.adapter.login.authorizeUrl({ state: STATE }))).searchParams);
    await s.clock.advance(30_000_000);
    expect(await rejection(s.adapter.login.doExchange({ accountId: 'a', callbackParams: params, signal: signal(), now: s.clock.now() }))).toMatchObject({
      code: 'LOGIN_REQUIRED',
    });
  });

  it('a wrong app secret fails the exchange with InvalidCredentialsError (−371)', async () => {
    s = await setup();
    const wrong = createFyers({ appId: APP_ID, appSecret: 'NOTTHESECRET', pin: PIN, redirectUri: REDIRECT_URI, baseUrl: s.fake.url });
    const params = Object.fromEntries(new URL(await s.fake.browserLogin(await wrong.login.authorizeUrl({ state: STATE }))).searchParams);
    const error = await rejection(wrong.login.doExchange({ accountId: 'a', callbackParams: params, signal: signal(), now: s.clock.now() }));
    expect(InvalidCredentialsError.isInstance(error)).toBe(true);
    expect(error.message).toContain('code -371: Please provide sha256 hash of appId and app secret');
  });

  it('callback params without auth_code (only the code=200 status) → InvalidInputError, nothing sent', async () => {
    s = await setup();
    const error = await rejection(s.adapter.login.doExchange({ accountId: 'a', callbackParams: { s: 'ok', code: '200' }, signal: signal(), now: s.clock.now() }));
    expect(InvalidInputError.isInstance(error)).toBe(true);
    expect(error.message).toContain('auth_code');
    const failed = await rejection(s.adapter.login.doExchange({ accountId: 'a', callbackParams: { s: 'error', code: '-1' }, signal: signal(), now: s.clock.now() }));
    expect(LoginRequiredError.isInstance(failed)).toBe(true);
    expect(s.fake.calls).toHaveLength(0);
  });
});

describe('headless paste', () => {
  const url = `${REDIRECT_URI}?s=ok&code=200&auth_code=aaa.bbb.ccc&state=${STATE}`;

  it('accepts the redirected URL, its query string or the bare auth code', () => {
    const params = { s: 'ok', code: '200', auth_code: 'aaa.bbb.ccc', state: STATE };
    expect(parseFyersPasted(url)).toEqual(params);
    expect(parseFyersPasted(`  ${url}\n`)).toEqual(params);
    expect(parseFyersPasted(url.slice(url.indexOf('?')))).toEqual(params);
    expect(parseFyersPasted(url.slice(url.indexOf('?') + 1))).toEqual(params);
    expect(parseFyersPasted(' aaa.bbb.ccc ')).toEqual({ auth_code: 'aaa.bbb.ccc' });
  });

  it.each([
    ['', 'Nothing was pasted'],
    ['hello', 'neither a URL nor an auth code'],
    [`${REDIRECT_URI}?s=ok&code=200&state=x`, 'has no auth_code'],
    [`${REDIRECT_URI}?s=error&code=-1&message=denied`, 'failed login (s=error, code=-1)'],
  ])('rejects %j with an InvalidInputError that says what to paste', (text, message) => {
    const error = (() => {
      try {
        parseFyersPasted(text);
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a throw');
    })();
    expect(InvalidInputError.isInstance(error)).toBe(true);
    expect(error.message).toContain(message);
  });

  it('a pasted URL from the real login round trip completes through doExchange', async () => {
    s = await setup();
    const redirected = await s.fake.browserLogin(await s.adapter.login.authorizeUrl({ state: STATE }));
    const params = s.adapter.login.parsePasted(redirected);
    const tokenSet = await s.adapter.login.doExchange({ accountId: 'a', callbackParams: params, signal: signal(), now: s.clock.now() });
    expect(s.fake.accessTokenStatus(tokenSet.accessToken.reveal())).toBe('valid');
  });
});
