import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { AuthErrorCode, createApiClient, createSchwabAuth, SchwabAuthError, type EnhancedTokenManagerOptions } from '@sudowealth/schwab-api';
import { createFakeClock, type FakeClock } from '@tokens/core/testing';
import type { RecordedRequest } from '@tokens/broker-utils/testing';
import { startFakeSchwab, type FakeSchwabServer } from '../src/fake';
import { APP_KEY, APP_SECRET, CALLBACK_URL, START } from './support/harness';

// @sudowealth/schwab-api@2.1.1, a popular community TypeScript client, unchanged. Pointing it at
// the fake takes its two documented base-URL options: `issuerBaseUrl` for the OAuth manager
// (default https://api.schwabapi.com/v1) and `config.baseUrl` for the API client.

const BASIC = `Basic ${Buffer.from(`${APP_KEY}:${APP_SECRET}`).toString('base64')}`;
const DAYS = 24 * 3_600_000;

let clock: FakeClock;
let fake: FakeSchwabServer;

beforeEach(async () => {
  clock = createFakeClock(START);
  fake = await startFakeSchwab({ appKey: APP_KEY, appSecret: APP_SECRET, callbackUrl: CALLBACK_URL, clock });
});

afterEach(async () => {
  await fake.close();
});

function sdkAuth() {
  // createSchwabAuth hands oauthConfig to EnhancedTokenManager, whose options add issuerBaseUrl.
  const oauthConfig: EnhancedTokenManagerOptions = { clientId: APP_KEY, clientSecret: APP_SECRET, redirectUri: CALLBACK_URL, issuerBaseUrl: `${fake.url}/v1` };
  return createSchwabAuth({ oauthConfig });
}

/** The human's browser login at the SDK's authorize URL; returns what the callback receives. */
async function login(auth: ReturnType<typeof sdkAuth>, state?: string) {
  const { authUrl, generatedState } = await auth.getAuthorizationUrl(state === undefined ? undefined : { state });
  const landed = new URL(await fake.browserLogin(authUrl));
  return { authUrl: new URL(authUrl), generatedState: generatedState!, landed, code: landed.searchParams.get('code')!, state: landed.searchParams.get('state')! };
}

const form = (call: RecordedRequest) => Object.fromEntries(new URLSearchParams(call.rawBody));

describe('@sudowealth/schwab-api pointed at the fake', () => {
  it('authorize URL → browser login → exchangeCode → refresh → getAccountNumbers, unchanged', async () => {
    const auth = sdkAuth();
    // The SDK expects the app's state as base64 JSON and merges its PKCE verifier into it.
    const appState = Buffer.from(JSON.stringify({ csrf: 'app-state-42' })).toString('base64');
    const { authUrl, generatedState, landed, code, state } = await login(auth, appState);

    // The SDK's authorize URL: PKCE S256, its default scopes, its own state carrying the verifier.
    expect(`${authUrl.origin}${authUrl.pathname}`).toBe(`${fake.url}/v1/oauth/authorize`);
    expect([...authUrl.searchParams.keys()]).toEqual(['client_id', 'scope', 'response_type', 'redirect_uri', 'code_challenge', 'code_challenge_method', 'state']);
    expect(authUrl.searchParams.get('client_id')).toBe(APP_KEY);
    expect(authUrl.searchParams.get('scope')).toBe('api offline_access');
    expect(authUrl.searchParams.get('response_type')).toBe('code');
    expect(authUrl.searchParams.get('redirect_uri')).toBe(CALLBACK_URL);
    expect(authUrl.searchParams.get('code_challenge_method')).toBe('S256');
    const verifier = JSON.parse(Buffer.from(generatedState, 'base64').toString('utf8')) as { csrf: string; pkce_code_verifier: string };
    expect(verifier.csrf).toBe('app-state-42');
    expect(authUrl.searchParams.get('state')).toBe(generatedState);
    expect(authUrl.searchParams.get('code_challenge')).toBe(createHash('sha256').update(verifier.pkce_code_verifier).digest('base64url'));

    // The fake's redirect: Schwab's `code=…%40&session=…` plus the state, back at the callback.
    expect(`${landed.origin}${landed.pathname}`.replace(/\/$/, '')).toBe(CALLBACK_URL);
    expect(landed.search).toMatch(/^\?code=C0\.[^&]+%40&session=[0-9a-f-]{36}&state=/);
    expect(state).toBe(generatedState);
    expect(code.endsWith('@')).toBe(true);

    const before = Date.now();
    const tokens = await auth.exchangeCode(code, state);
    const after = Date.now();
    const [session] = fake.tokenRequests('authorization_code');
    expect(tokens.accessToken).toMatch(/^I0\..+@$/);
    expect(tokens.refreshToken).toMatch(/^R0\..+@$/);
    expect(tokens.expiresAt).toBeGreaterThanOrEqual(before + 1_800_000);
    expect(tokens.expiresAt).toBeLessThanOrEqual(after + 1_800_000);
    expect(session!.headers.authorization).toBe(BASIC);
    expect(session!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(form(session!)).toEqual({
      grant_type: 'authorization_code',
      code,
      redirect_uri: CALLBACK_URL,
      client_id: APP_KEY,
      client_secret: APP_SECRET,
      code_verifier: verifier.pkce_code_verifier,
    });

    // A refresh 20 minutes later (forced: the SDK would otherwise wait until 5 minutes before expiry).
    await clock.advance(20 * 60_000);
    const refreshed = await auth.refresh(tokens.refreshToken!, { force: true });
    expect(refreshed.accessToken).toMatch(/^I0\..+@$/);
    expect(refreshed.accessToken).not.toBe(tokens.accessToken);
    expect(refreshed.refreshToken).toBe(tokens.refreshToken);
    const [refresh] = fake.tokenRequests('refresh_token');
    expect(refresh!.headers.authorization).toBe(BASIC);
    expect(form(refresh!)).toEqual({ grant_type: 'refresh_token', refresh_token: tokens.refreshToken, client_id: APP_KEY, client_secret: APP_SECRET });

    const schwab = createApiClient({ auth, config: { baseUrl: fake.url } });
    const accounts = await schwab.trader.accounts.getAccountNumbers();
    expect(accounts).toEqual([{ accountNumber: '12345678', hashValue: expect.stringMatching(/^[0-9A-F]{64}$/) }]);

    expect(fake.calls.map((c) => [c.method, c.path])).toEqual([
      ['GET', '/v1/oauth/authorize'],
      ['POST', '/v1/oauth/token'],
      ['POST', '/v1/oauth/token'],
      ['GET', '/trader/v1/accounts/accountNumbers'],
    ]);
    expect(fake.calls[3]!.headers.authorization).toBe(`Bearer ${refreshed.accessToken}`);
  });

  it('a reused or expired code and a dead refresh token surface as SchwabAuthError with the status and body', async () => {
    const auth = sdkAuth();
    const first = await login(auth);
    const tokens = await auth.exchangeCode(first.code, first.state);

    const reused = await auth.exchangeCode(first.code, first.state).catch((e: unknown) => e);
    expect(reused).toBeInstanceOf(SchwabAuthError);
    expect(reused).toMatchObject({ code: AuthErrorCode.INVALID_CODE, status: 400, body: { error: 'unsupported_token_type' } });
    expect((reused as SchwabAuthError).message).toContain('AuthorizationCode not found');

    const second = await login(auth);
    await clock.advance(31_000);
    const expired = await auth.exchangeCode(second.code, second.state).catch((e: unknown) => e);
    expect(expired).toBeInstanceOf(SchwabAuthError);
    expect(expired).toMatchObject({ code: AuthErrorCode.INVALID_CODE, status: 400 });
    expect((expired as SchwabAuthError).message).toContain('AuthorizationCode has expired');

    // Seven days after the login the refresh token is dead; a 400 is not retried by the SDK.
    await clock.advance(7 * DAYS);
    const dead = await auth.refresh(tokens.refreshToken!, { force: true }).catch((e: unknown) => e);
    expect(dead).toBeInstanceOf(SchwabAuthError);
    expect(dead).toMatchObject({ status: 400, body: { error: 'unsupported_token_type' } });
    expect((dead as SchwabAuthError).message).toContain('refresh_token_authentication_error');

    expect(fake.calls.map((c) => [c.method, c.path, c.form?.grant_type])).toEqual([
      ['GET', '/v1/oauth/authorize', undefined],
      ['POST', '/v1/oauth/token', 'authorization_code'],
      ['POST', '/v1/oauth/token', 'authorization_code'],
      ['GET', '/v1/oauth/authorize', undefined],
      ['POST', '/v1/oauth/token', 'authorization_code'],
      ['POST', '/v1/oauth/token', 'refresh_token'],
    ]);
  });
});
