import { InvalidInputError, LoginRequiredError, Secret, TokensError, assertValidTokenSet } from '@tokens/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createSchwab } from '../src';
import { APP_KEY, APP_SECRET, rejected, startRig, toTokenSet, type SchwabTestRig } from './support/harness';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const signal = () => new AbortController().signal;

let rig: SchwabTestRig;
afterEach(() => rig?.close());

describe('doRefresh', () => {
  it('POSTs the refresh_token grant with HTTP Basic and a form body, exactly as Schwab expects', async () => {
    rig = await startRig();
    const session = rig.fake.issueSession();
    await rig.clock.advance(22 * MINUTE);
    const now = rig.clock.now();
    const renewed = await rig.adapter.doRefresh({ accountId: 'schwab-main', current: toTokenSet(session), signal: signal(), now });

    const calls = rig.fake.tokenRequests();
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    expect(call.method).toBe('POST');
    expect(call.path).toBe('/v1/oauth/token');
    expect(call.query).toEqual({});
    expect(call.headers.authorization).toBe(`Basic ${Buffer.from(`${APP_KEY}:${APP_SECRET}`).toString('base64')}`);
    expect(call.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded(;|$)/);
    expect(call.rawBody).toBe(`grant_type=refresh_token&refresh_token=${encodeURIComponent(session.refreshToken)}`);
    expect(call.form).toEqual({ grant_type: 'refresh_token', refresh_token: session.refreshToken });

    assertValidTokenSet(renewed, now);
    expect(renewed.issuedAt).toBe(now);
    expect(renewed.expiresAt).toBe(now + 30 * MINUTE); // expires_in: 1800
    expect(renewed.refreshExpiresAt).toBe(session.grantedAt + 7 * DAY); // carried, never extended
    expect(renewed.refreshToken?.reveal()).toBe(session.refreshToken); // whatever came back (here: the same string)
    expect(renewed.accessToken.reveal()).not.toBe(session.accessToken);
    expect(renewed.tokenType).toBe('Bearer');
    expect(renewed.extras).toEqual({ scope: 'api' });
    expect(renewed.secretExtras?.idToken?.reveal()).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('sends the research test vector: base64("APPKEY:APPSECRET") = QVBQS0VZOkFQUFNFQ1JFVA==', async () => {
    rig = await startRig({ fake: { appKey: 'APPKEY', appSecret: 'APPSECRET' }, adapter: { appKey: 'APPKEY', appSecret: new Secret('APPSECRET') } });
    const session = rig.fake.issueSession();
    await rig.adapter.doRefresh({ accountId: 'a', current: toTokenSet(session), signal: signal(), now: rig.clock.now() });
    expect(rig.fake.tokenRequests()[0]!.headers.authorization).toBe('Basic QVBQS0VZOkFQUFNFQ1JFVA==');
  });

  it('persists a rotated refresh token, and a refresh never moves the 7-day deadline', async () => {
    rig = await startRig({ fake: { rotateRefreshTokens: true } });
    const session = rig.fake.issueSession();
    let current = toTokenSet(session);
    for (let i = 0; i < 3; i++) {
      await rig.clock.advance(22 * MINUTE);
      const next = await rig.adapter.doRefresh({ accountId: 'a', current, signal: signal(), now: rig.clock.now() });
      expect(next.refreshToken?.reveal()).not.toBe(current.refreshToken?.reveal());
      expect(next.refreshExpiresAt).toBe(session.refreshExpiresAt);
      current = next;
    }
    // The rotated-out token is dead at the broker: keeping the old one would have lost the session.
    const stale = { ...current, refreshToken: new Secret(session.refreshToken) };
    const error = await rejected(rig.adapter.doRefresh({ accountId: 'a', current: stale, signal: signal(), now: rig.clock.now() }));
    expect(LoginRequiredError.isInstance(error)).toBe(true);
  });

  it('keeps the stored refresh token when the response carries none', async () => {
    rig = await startRig();
    const session = rig.fake.issueSession();
    // A server that omits refresh_token: simulated with a fetch that strips it from the real response.
    const adapter = createSchwab({
      appKey: APP_KEY,
      appSecret: APP_SECRET,
      callbackUrl: 'https://127.0.0.1:8182',
      baseUrl: rig.fake.url,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        const body = (await response.json()) as Record<string, unknown>;
        delete body.refresh_token;
        return new Response(JSON.stringify(body), { status: response.status, headers: response.headers });
      },
    });
    const renewed = await adapter.doRefresh({ accountId: 'a', current: toTokenSet(session), signal: signal(), now: rig.clock.now() });
    expect(renewed.refreshToken?.reveal()).toBe(session.refreshToken);
  });

  it('needs a human, without calling Schwab, when no refresh token is stored', async () => {
    rig = await startRig();
    const now = rig.clock.now();
    const error = await rejected(
      rig.adapter.doRefresh({ accountId: 'a', current: { accessToken: new Secret('x'), issuedAt: now, expiresAt: now + 1 }, signal: signal(), now }),
    );
    expect(LoginRequiredError.isInstance(error)).toBe(true);
    expect(error.needsHuman).toBe(true);
    expect(error.isRetryable).toBe(false);
    expect(error.message).toMatch(/complete the browser login first/);
    expect(rig.fake.calls).toHaveLength(0);
  });

  it('a hand-built token set without refreshExpiresAt gets login-time + 7 days from its issue time', async () => {
    rig = await startRig();
    const session = rig.fake.issueSession();
    const { refreshExpiresAt: _, ...bare } = toTokenSet(session);
    const renewed = await rig.adapter.doRefresh({ accountId: 'a', current: bare, signal: signal(), now: rig.clock.now() });
    expect(renewed.refreshExpiresAt).toBe(session.issuedAt + 7 * DAY);
  });
});

describe('doValidate', () => {
  it('GETs /trader/v1/accounts/accountNumbers with the bearer token and reports valid', async () => {
    rig = await startRig();
    const session = rig.fake.issueSession();
    const result = await rig.adapter.doValidate({ accountId: 'a', tokenSet: toTokenSet(session), signal: signal(), now: rig.clock.now() });
    expect(result).toEqual({ valid: true });
    const call = rig.fake.calls.at(-1)!;
    expect(call.method).toBe('GET');
    expect(call.path).toBe('/trader/v1/accounts/accountNumbers');
    expect(call.headers.authorization).toBe(`Bearer ${session.accessToken}`);
    expect(call.rawBody).toBe('');
  });

  it('reports valid: false (no throw) for the 401 errors[] body of a stale token', async () => {
    rig = await startRig();
    const session = rig.fake.issueSession();
    await rig.clock.advance(30 * MINUTE);
    const result = await rig.adapter.doValidate({ accountId: 'a', tokenSet: toTokenSet(session), signal: signal(), now: rig.clock.now() });
    expect(result.valid).toBe(false);
    expect(result.reason).toBe('Schwab answered GET /trader/v1/accounts/accountNumbers with HTTP 401 (Unauthorized: Client not authorized).');
    expect(result.reason).not.toContain(session.accessToken);
  });

  it('throws a retryable error for a 5xx instead of calling the token invalid', async () => {
    rig = await startRig();
    const session = rig.fake.issueSession();
    rig.fake.fault('server-error');
    const error = await rejected(rig.adapter.doValidate({ accountId: 'a', tokenSet: toTokenSet(session), signal: signal(), now: rig.clock.now() }));
    expect(TokensError.isInstance(error)).toBe(true);
    expect(error.isRetryable).toBe(true);
    expect(InvalidInputError.isInstance(error)).toBe(false);
  });
});
