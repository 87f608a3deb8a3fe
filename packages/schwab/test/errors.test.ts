import {
  BrokerApiError,
  createMemoryTokenStore,
  createTokenManager,
  InvalidCredentialsError,
  LoginRequiredError,
  NetworkError,
  Secret,
  TokensError,
} from '@tokens/core';
import { createBrokerHttp } from '@tokens/broker-utils';
import { canaryCheck } from '@tokens/test-suite';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSchwabOAuthError, schwabApiErrorFromResponse } from '../src';
import { APP_SECRET, rejected, startRig, toTokenSet, type SchwabTestRig } from './support/harness';

const DAY = 24 * 3_600_000;
const signal = () => new AbortController().signal;

// Bodies exactly as published (research/brokers.md §4.5).
const DEAD_REFRESH =
  '{"error":"unsupported_token_type","error_description":"400 Bad Request: \\"{\\"error_description\\":\\"Exception while authenticating refresh token [tokenDigest=abc, Exception=Failed refresh token authentication [tokenDigest=abc]]\\",\\"error\\":\\"refresh_token_authentication_error\\"}\\""}';
const CODE_EXPIRED =
  '{"error":"unsupported_token_type","error_description":"400 Bad Request: \\"{\\"error_description\\":\\"Bad authorization code: AuthorizationCode has expired,expiration=1728437138768,now=1728437166999 \\",\\"error\\":\\"invalid_request\\"}\\""}';

let rig: SchwabTestRig;
afterEach(() => rig?.close());

async function refreshError(r: SchwabTestRig, current = toTokenSet(r.fake.issueSession())): Promise<TokensError> {
  const error = await rejected(r.adapter.doRefresh({ accountId: 'a', current, signal: signal(), now: r.clock.now() }));
  expect(TokensError.isInstance(error), `a TokensError, got ${String(error)}`).toBe(true);
  return error;
}

describe('parseSchwabOAuthError', () => {
  it('reads the JSON Schwab nests inside error_description', () => {
    expect(parseSchwabOAuthError(DEAD_REFRESH)).toEqual({
      error: 'unsupported_token_type',
      description: expect.stringMatching(/^400 Bad Request: "\{/),
      innerError: 'refresh_token_authentication_error',
      innerDescription: 'Exception while authenticating refresh token [tokenDigest=abc, Exception=Failed refresh token authentication [tokenDigest=abc]]',
    });
    expect(parseSchwabOAuthError(CODE_EXPIRED)).toMatchObject({ innerError: 'invalid_request', innerDescription: expect.stringContaining('AuthorizationCode has expired') });
  });

  it('handles plain bodies, broken inner JSON and non-JSON', () => {
    expect(parseSchwabOAuthError('{"error":"invalid_client","error_description":"Unauthorized"}')).toEqual({ error: 'invalid_client', description: 'Unauthorized' });
    const broken = JSON.stringify({ error: 'x', error_description: '400: "{"error_description":"has "quotes" inside","error":"refresh_token_authentication_error"}"' });
    expect(parseSchwabOAuthError(broken)?.innerError).toBe('refresh_token_authentication_error');
    expect(parseSchwabOAuthError('<html>502</html>')).toBeUndefined();
    expect(parseSchwabOAuthError('{"errors":[]}')).toBeUndefined();
  });
});

describe('token endpoint errors', () => {
  it('a refresh token past its 7 days → LoginRequiredError (needs a human, not retryable), from the exact Schwab body', async () => {
    rig = await startRig();
    const session = rig.fake.issueSession();
    await rig.clock.advance(7 * DAY);
    const error = await refreshError(rig, toTokenSet(session));
    expect(LoginRequiredError.isInstance(error)).toBe(true);
    expect(error.code).toBe('LOGIN_REQUIRED');
    expect(error.needsHuman).toBe(true);
    expect(error.isRetryable).toBe(false);
    expect(error.message).toMatch(/7 days from the browser login/);
    const cause = error.cause as BrokerApiError;
    expect(BrokerApiError.isInstance(cause)).toBe(true);
    expect(cause.statusCode).toBe(400);
    expect(cause.brokerCode).toBe('refresh_token_authentication_error');
  });

  it('a revoked refresh token → LoginRequiredError', async () => {
    rig = await startRig();
    const session = rig.fake.issueSession();
    rig.fake.revokeRefreshToken(session.refreshToken);
    expect(LoginRequiredError.isInstance(await refreshError(rig, toTokenSet(session)))).toBe(true);
  });

  it('a wrong app secret → InvalidCredentialsError (401 invalid_client), which no retry can fix', async () => {
    rig = await startRig({ adapter: { appSecret: 'wrong-secret-0000000000000000' } });
    const error = await refreshError(rig);
    expect(InvalidCredentialsError.isInstance(error)).toBe(true);
    expect(error.code).toBe('INVALID_CREDENTIALS');
    expect(error.needsHuman).toBe(true);
    expect(error.isRetryable).toBe(false);
    expect(error.message).toMatch(/check appKey and appSecret/);
    expect((error.cause as BrokerApiError).statusCode).toBe(401);
    expect((error.cause as BrokerApiError).brokerCode).toBe('invalid_client');
    expect(canaryCheck(['wrong-secret-0000000000000000', APP_SECRET], error)).toEqual([]);
  });

  it('429 → retryable BrokerApiError carrying Retry-After in ms', async () => {
    rig = await startRig();
    rig.fake.fault('rate-limit', { retryAfterSeconds: 7 });
    const error = (await refreshError(rig)) as BrokerApiError;
    expect(BrokerApiError.isInstance(error)).toBe(true);
    expect(error.statusCode).toBe(429);
    expect(error.retryAfterMs).toBe(7_000);
    expect(error.isRetryable).toBe(true);
    expect(error.needsHuman).toBe(false);
  });

  it('5xx → retryable BrokerApiError; the next call succeeds', async () => {
    rig = await startRig();
    const session = rig.fake.issueSession();
    rig.fake.fault('server-error');
    const error = (await refreshError(rig, toTokenSet(session))) as BrokerApiError;
    expect(error.statusCode).toBe(500);
    expect(error.isRetryable).toBe(true);
    const ok = await rig.adapter.doRefresh({ accountId: 'a', current: toTokenSet(session), signal: signal(), now: rig.clock.now() });
    expect(ok.expiresAt).toBeGreaterThan(rig.clock.now());
  });

  it('connection reset and timeout → retryable NetworkError', async () => {
    rig = await startRig({ adapter: { timeoutMs: 200 } });
    rig.fake.fault('reset');
    const reset = await refreshError(rig);
    expect(NetworkError.isInstance(reset)).toBe(true);
    expect(reset.isRetryable).toBe(true);
    rig.fake.fault('timeout');
    const timeout = await refreshError(rig);
    expect(NetworkError.isInstance(timeout)).toBe(true);
    expect(timeout.message).toMatch(/did not answer POST \/v1\/oauth\/token within 200 ms/);
  });

  it('a 200 with a truncated body → retryable BrokerApiError (a proxy glitch), not a SyntaxError', async () => {
    rig = await startRig();
    rig.fake.fault('malformed');
    const error = (await refreshError(rig)) as BrokerApiError;
    expect(BrokerApiError.isInstance(error)).toBe(true);
    expect(error.statusCode).toBe(200);
    expect(error.isRetryable).toBe(true);
    expect(error.message).toMatch(/not JSON/);
  });

  it('no error exposes the app secret or any token', async () => {
    rig = await startRig();
    const errors: unknown[] = [];
    for (const mode of ['server-error', 'rate-limit', 'reset', 'malformed', 'revoked'] as const) {
      rig.fake.fault(mode, { retryAfterSeconds: 1 });
      errors.push(await refreshError(rig));
    }
    expect(canaryCheck([APP_SECRET, ...rig.fake.issuedSecrets()], ...errors)).toEqual([]);
  });
});

describe('Trader API errors', () => {
  it('a 401 errors[] body is an auth error, so withToken() refreshes once and retries', async () => {
    rig = await startRig();
    const manager = createTokenManager({ store: createMemoryTokenStore({ clock: rig.clock }), clock: rig.clock });
    try {
      await manager.addAccount({ id: 'schwab-main', adapter: rig.adapter });
      await manager.completeLogin('schwab-main', {
        pasted: await rig.fake.browserLogin(await manager.authorizeUrl('schwab-main', { state: 's' })),
      });
      const http = createBrokerHttp({ broker: 'schwab', baseUrl: rig.fake.url });
      const seen: string[] = [];
      const accounts = await manager.withToken('schwab-main', async (token) => {
        seen.push(token);
        if (seen.length === 1) rig.fake.revokeAccessToken(token); // Schwab kills the token early
        const response = await http.request('/trader/v1/accounts/accountNumbers', { headers: { Authorization: new Secret(`Bearer ${token}`) } });
        if (!response.ok) throw schwabApiErrorFromResponse(response);
        return response.json() as Array<{ hashValue: string }>;
      });
      expect(accounts).toHaveLength(1);
      expect(seen).toHaveLength(2);
      expect(seen[1]).not.toBe(seen[0]);
      expect(rig.fake.tokenRequests('refresh_token')).toHaveLength(1);
    } finally {
      await manager.stop();
    }
  });

  it('schwabApiErrorFromResponse: 401 → isAuthError with the title and detail; 500 → retryable', async () => {
    rig = await startRig();
    const http = createBrokerHttp({ broker: 'schwab', baseUrl: rig.fake.url });
    const unauthorized = schwabApiErrorFromResponse(await http.request('/trader/v1/accounts/accountNumbers', { headers: { Authorization: 'Bearer nope' } }));
    expect(unauthorized.statusCode).toBe(401);
    expect(unauthorized.isAuthError).toBe(true);
    expect(unauthorized.isRetryable).toBe(false);
    expect(unauthorized.message).toContain('Unauthorized: Client not authorized');
    rig.fake.fault('server-error');
    const server = schwabApiErrorFromResponse(await http.request('/trader/v1/accounts/accountNumbers'));
    expect(server.isAuthError).toBe(false);
    expect(server.isRetryable).toBe(true);
  });
});
