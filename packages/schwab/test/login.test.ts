import { BrokerApiError, createMemoryTokenStore, createTokenManager, InvalidInputError } from '@tokens/core';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSchwabRedirect } from '../src';
import { APP_KEY, CALLBACK_URL, rejected, startRig, type SchwabTestRig } from './support/harness';

const DAY = 24 * 3_600_000;
const signal = () => new AbortController().signal;

let rig: SchwabTestRig;
afterEach(() => rig?.close());

async function loginRedirect(r: SchwabTestRig, state = 'st-123'): Promise<URL> {
  return new URL(await r.fake.browserLogin(r.adapter.login.authorizeUrl({ state })));
}

describe('authorizeUrl and the redirect', () => {
  it('builds the authorize URL with client_id, the exact callback URL, response_type and state', async () => {
    rig = await startRig();
    expect(rig.adapter.login.authorizeUrl({ state: 'st-123' })).toBe(
      `${rig.fake.url}/v1/oauth/authorize?client_id=${APP_KEY}&redirect_uri=https%3A%2F%2F127.0.0.1%3A8182&response_type=code&state=st-123`,
    );
    expect(rig.adapter.login.authorizeUrl({ state: 'x', redirectUri: 'https://example.test/cb' })).toContain('redirect_uri=https%3A%2F%2Fexample.test%2Fcb');
  });

  it("Schwab redirects to the callback with code=…%40&session=<uuid> (and the state)", async () => {
    rig = await startRig();
    const redirected = await rig.fake.browserLogin(rig.adapter.login.authorizeUrl({ state: 'st-123' }));
    expect(redirected).toMatch(/^https:\/\/127\.0\.0\.1:8182\?code=C0\.[\w.-]+%40&session=[0-9a-f-]{36}&state=st-123$/);
    const authorize = rig.fake.calls[0]!;
    expect(authorize.method).toBe('GET');
    expect(authorize.path).toBe('/v1/oauth/authorize');
    expect(authorize.query).toEqual({ client_id: APP_KEY, redirect_uri: CALLBACK_URL, response_type: 'code', state: 'st-123' });
  });
});

describe('doExchange', () => {
  it('posts the decoded code (ending in "@") with grant_type=authorization_code and the exact redirect_uri', async () => {
    rig = await startRig();
    const redirect = await loginRedirect(rig);
    const callbackParams = Object.fromEntries(redirect.searchParams); // what a callback server hands over
    const code = callbackParams.code!;
    expect(code.endsWith('@')).toBe(true);
    const now = rig.clock.now();
    const tokenSet = await rig.adapter.login.doExchange({ accountId: 'a', callbackParams, signal: signal(), now });

    const call = rig.fake.tokenRequests('authorization_code')[0]!;
    expect(call.method).toBe('POST');
    expect(call.headers.authorization).toMatch(/^Basic [A-Za-z0-9+/]+=*$/);
    expect(call.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(call.rawBody).toBe(`grant_type=authorization_code&code=${encodeURIComponent(code)}&redirect_uri=${encodeURIComponent(CALLBACK_URL)}`);
    expect(call.form).toEqual({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK_URL });

    expect(tokenSet.issuedAt).toBe(now);
    expect(tokenSet.expiresAt).toBe(now + 30 * 60_000);
    expect(tokenSet.refreshExpiresAt).toBe(now + 7 * DAY); // the 7-day clock starts at the login
    expect(tokenSet.refreshToken?.reveal()).toMatch(/@$/);
  });

  it('decodes a code that still carries %40 (a raw query value) before posting it', async () => {
    rig = await startRig();
    const raw = /[?&]code=([^&]+)/.exec((await loginRedirect(rig)).search)![1]!;
    expect(raw.endsWith('%40')).toBe(true);
    await rig.adapter.login.doExchange({ accountId: 'a', callbackParams: { code: raw }, signal: signal(), now: rig.clock.now() });
    expect(rig.fake.tokenRequests('authorization_code')[0]!.form!.code).toBe(decodeURIComponent(raw));
  });

  it('an expired code (after about 30 s) gives a clear, specific error', async () => {
    rig = await startRig();
    const callbackParams = Object.fromEntries((await loginRedirect(rig)).searchParams);
    await rig.clock.advance(31_000);
    const error = await rejected(rig.adapter.login.doExchange({ accountId: 'a', callbackParams, signal: signal(), now: rig.clock.now() }));
    expect(InvalidInputError.isInstance(error)).toBe(true);
    expect(error.code).toBe('AUTHORIZATION_CODE_EXPIRED');
    expect(error.message).toMatch(/codes live about 30 seconds/);
    expect(error.isRetryable).toBe(false);
    const cause = error.cause as BrokerApiError;
    expect(cause.statusCode).toBe(400);
    expect(cause.brokerCode).toBe('invalid_request');
  });

  it('a code used twice is refused with AUTHORIZATION_CODE_INVALID', async () => {
    rig = await startRig();
    const callbackParams = Object.fromEntries((await loginRedirect(rig)).searchParams);
    await rig.adapter.login.doExchange({ accountId: 'a', callbackParams, signal: signal(), now: rig.clock.now() });
    const error = await rejected(rig.adapter.login.doExchange({ accountId: 'a', callbackParams, signal: signal(), now: rig.clock.now() }));
    expect(error.code).toBe('AUTHORIZATION_CODE_INVALID');
  });

  it('a callback without a code, or with error=access_denied, is refused before any request', async () => {
    rig = await startRig();
    const missing = await rejected<InvalidInputError>(rig.adapter.login.doExchange({ accountId: 'a', callbackParams: { session: 'x' }, signal: signal(), now: rig.clock.now() }));
    expect(InvalidInputError.isInstance(missing)).toBe(true);
    expect(missing.field).toBe('callbackParams.code');
    const denied = await rejected(rig.adapter.login.doExchange({ accountId: 'a', callbackParams: { error: 'access_denied' }, signal: signal(), now: rig.clock.now() }));
    expect(denied.code).toBe('LOGIN_DENIED');
    expect(rig.fake.calls).toHaveLength(0);
  });
});

describe('headless paste', () => {
  it('parsePasted takes the redirected URL (or its query string) and explains what it needs otherwise', () => {
    const url = 'https://127.0.0.1:8182?code=C0.abc.def%40&session=8c3e0b8e-1111-4222-8333-444455556666&state=s1';
    const params = { code: 'C0.abc.def@', session: '8c3e0b8e-1111-4222-8333-444455556666', state: 's1' };
    expect(parseSchwabRedirect(url)).toEqual(params);
    expect(parseSchwabRedirect(`\n  ${url}  `)).toEqual(params);
    expect(parseSchwabRedirect('?code=C0.abc.def%40&session=8c3e0b8e-1111-4222-8333-444455556666&state=s1')).toEqual(params);
    const errors = ['', 'hello there', 'https://127.0.0.1:8182?session=x', 'https://127.0.0.1:8182?error=access_denied'].map((text) => {
      try {
        parseSchwabRedirect(text);
      } catch (error) {
        return error as InvalidInputError;
      }
      throw new Error(`accepted ${text}`);
    });
    expect(errors.map((e) => [e.code, e.field])).toEqual([
      ['INVALID_INPUT', 'pasted'],
      ['INVALID_INPUT', 'pasted'],
      ['INVALID_INPUT', 'pasted'],
      ['LOGIN_DENIED', 'error'],
    ]);
    expect(errors[1]!.message).toMatch(/address bar/);
  });

  it('a pasted URL finishes the login through the manager, and the account becomes valid', async () => {
    rig = await startRig();
    const manager = createTokenManager({ store: createMemoryTokenStore({ clock: rig.clock }), clock: rig.clock });
    try {
      expect((await manager.addAccount({ id: 'schwab-main', adapter: rig.adapter })).state).toBe('login_required');
      const pasted = await rig.fake.browserLogin(await manager.authorizeUrl('schwab-main', { state: 'st' }));
      const status = await manager.completeLogin('schwab-main', { pasted });
      expect(status.state).toBe('valid');
      expect(status.refreshExpiresAt).toBe(rig.clock.now() + 7 * DAY);
      expect(status.humanDeadline).toEqual({ at: rig.clock.now() + 7 * DAY, reason: 'refresh-token-expiry' });
    } finally {
      await manager.stop();
    }
  });
});
