import { createFakeClock } from '@tokens/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeSchwab, tokenDigest, type FakeSchwabServer } from '../src/fake';

// The fake on its own, spoken to with plain fetch as any Schwab client would.
const KEY = 'APPKEY';
const SECRET = 'APPSECRET';
const BASIC = 'Basic QVBQS0VZOkFQUFNFQ1JFVA=='; // research/brokers.md §4.8 test vector
const CB = 'https://127.0.0.1:8182';
const DAY = 24 * 3_600_000;

let fake: FakeSchwabServer;
const clock = createFakeClock(Date.UTC(2026, 0, 5, 14, 30));
afterEach(() => fake?.close());

const form = (body: Record<string, string>) => ({
  method: 'POST',
  headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(body).toString(),
});
const post = async (body: Record<string, string>, init: RequestInit = {}) => {
  const response = await fetch(`${fake.url}/v1/oauth/token`, { ...form(body), ...init });
  return { status: response.status, text: await response.text(), headers: response.headers };
};
async function codeFromLogin(): Promise<string> {
  const location = await fake.browserLogin(`${fake.url}/v1/oauth/authorize?client_id=${KEY}&redirect_uri=${encodeURIComponent(CB)}`);
  expect(location).toMatch(/^https:\/\/127\.0\.0\.1:8182\?code=C0\.[\w.-]+%40&session=[0-9a-f-]{36}$/);
  return new URL(location).searchParams.get('code')!;
}

describe('startFakeSchwab', () => {
  it('authorize → 302 to the callback; code grant → the token body; refresh grant → a new access token', async () => {
    fake = await startFakeSchwab({ appKey: KEY, appSecret: SECRET, callbackUrl: CB, clock });
    const code = await codeFromLogin();
    const login = await post({ grant_type: 'authorization_code', code, redirect_uri: CB });
    expect(login.status).toBe(200);
    expect(login.headers.get('content-type')).toBe('application/json');
    const body = JSON.parse(login.text) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['expires_in', 'token_type', 'scope', 'refresh_token', 'access_token', 'id_token']);
    expect(body).toMatchObject({ expires_in: 1800, token_type: 'Bearer', scope: 'api' });

    const refreshed = JSON.parse((await post({ grant_type: 'refresh_token', refresh_token: body.refresh_token as string })).text) as Record<string, unknown>;
    expect(refreshed.refresh_token).toBe(body.refresh_token);
    expect(refreshed.access_token).not.toBe(body.access_token);

    const probe = await fetch(`${fake.url}/trader/v1/accounts/accountNumbers`, { headers: { authorization: `Bearer ${refreshed.access_token as string}` } });
    expect(probe.status).toBe(200);
    expect(await probe.json()).toEqual([{ accountNumber: '12345678', hashValue: expect.stringMatching(/^[0-9A-F]{64}$/) }]);
  });

  it('requires HTTP Basic with the app credentials (401 invalid_client) and a form body', async () => {
    fake = await startFakeSchwab({ appKey: KEY, appSecret: SECRET, clock });
    const { refreshToken } = fake.issueSession();
    for (const authorization of [undefined, 'Basic QVBQS0VZOldST05H', 'Bearer x']) {
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
      if (authorization) headers.authorization = authorization;
      const answer = await post({ grant_type: 'refresh_token', refresh_token: refreshToken }, { headers });
      expect([answer.status, answer.text]).toEqual([401, '{"error":"invalid_client","error_description":"Unauthorized"}']);
    }
    const json = await post({}, { headers: { authorization: BASIC, 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: refreshToken }) });
    expect(json.status).toBe(400);
    expect(JSON.parse(json.text)).toMatchObject({ error: 'invalid_request' });
  });

  it('codes are single-use and live 30 s, with the exact expired-code body', async () => {
    fake = await startFakeSchwab({ appKey: KEY, appSecret: SECRET, callbackUrl: CB, clock });
    const used = await codeFromLogin();
    expect((await post({ grant_type: 'authorization_code', code: used, redirect_uri: CB })).status).toBe(200);
    const again = await post({ grant_type: 'authorization_code', code: used, redirect_uri: CB });
    expect(again.status).toBe(400);
    expect(JSON.parse(again.text)).toMatchObject({ error: 'unsupported_token_type' });

    const late = await codeFromLogin();
    const issued = clock.now();
    await clock.advance(30_001);
    const expired = await post({ grant_type: 'authorization_code', code: late, redirect_uri: CB });
    expect(expired.status).toBe(400);
    expect(expired.text).toBe(
      `{"error":"unsupported_token_type","error_description":"400 Bad Request: \\"{\\"error_description\\":\\"Bad authorization code: AuthorizationCode has expired,expiration=${issued + 30_000},now=${clock.now()} \\",\\"error\\":\\"invalid_request\\"}\\""}`,
    );
  });

  it('refresh tokens die 7 days after the login, whatever the refreshes, with the exact body', async () => {
    fake = await startFakeSchwab({ appKey: KEY, appSecret: SECRET, clock });
    const { refreshToken, grantedAt } = fake.issueSession();
    await clock.advanceTo(grantedAt + 7 * DAY - 1);
    expect((await post({ grant_type: 'refresh_token', refresh_token: refreshToken })).status).toBe(200);
    await clock.advance(1);
    const dead = await post({ grant_type: 'refresh_token', refresh_token: refreshToken });
    const digest = tokenDigest(refreshToken);
    expect([dead.status, dead.text]).toEqual([
      400,
      `{"error":"unsupported_token_type","error_description":"400 Bad Request: \\"{\\"error_description\\":\\"Exception while authenticating refresh token [tokenDigest=${digest}, Exception=Failed refresh token authentication [tokenDigest=${digest}]]\\",\\"error\\":\\"refresh_token_authentication_error\\"}\\""}`,
    ]);
  });

  it('the probe answers 401 with the errors[] body once the access token is 30 minutes old', async () => {
    fake = await startFakeSchwab({ appKey: KEY, appSecret: SECRET, clock });
    const { accessToken } = fake.issueSession();
    await clock.advance(30 * 60_000);
    const probe = await fetch(`${fake.url}/trader/v1/accounts/accountNumbers`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(probe.status).toBe(401);
    expect(await probe.json()).toEqual({ errors: [{ id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 401, title: 'Unauthorized', detail: 'Client not authorized' }] });
  });

  it('a new login retires the previous refresh token; rotation retires the presented one', async () => {
    fake = await startFakeSchwab({ appKey: KEY, appSecret: SECRET, clock, rotateRefreshTokens: true });
    const old = fake.issueSession();
    const current = fake.issueSession();
    expect((await post({ grant_type: 'refresh_token', refresh_token: old.refreshToken })).status).toBe(400);
    const rotated = JSON.parse((await post({ grant_type: 'refresh_token', refresh_token: current.refreshToken })).text) as { refresh_token: string };
    expect(rotated.refresh_token).not.toBe(current.refreshToken);
    expect((await post({ grant_type: 'refresh_token', refresh_token: current.refreshToken })).status).toBe(400);
    expect((await post({ grant_type: 'refresh_token', refresh_token: rotated.refresh_token })).status).toBe(200);
  });

  it('faults: each applies to the next request(s) only; times and Retry-After are honoured', async () => {
    fake = await startFakeSchwab({ appKey: KEY, appSecret: SECRET, clock });
    const { refreshToken } = fake.issueSession();
    const grant = { grant_type: 'refresh_token', refresh_token: refreshToken };
    fake.fault('server-error', { times: 2 });
    fake.fault('rate-limit', { retryAfterSeconds: 30 });
    fake.fault('malformed');
    expect((await post(grant)).status).toBe(500);
    expect((await post(grant)).status).toBe(500);
    const limited = await post(grant);
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '30']);
    const malformed = await post(grant);
    expect(malformed.status).toBe(200);
    expect(() => JSON.parse(malformed.text)).toThrow();
    expect((await post(grant)).status).toBe(200);

    fake.fault('reset');
    await expect(post(grant)).rejects.toThrow();
    fake.fault('revoked');
    expect((await post(grant)).status).toBe(400);
    expect((await post(grant)).status).toBe(400); // revoked stays revoked

    fake.fault('timeout');
    const hanging = post(grant).catch((e: unknown) => e);
    await new Promise((r) => setImmediate(r));
    await fake.close(); // ends the unanswered request
    expect(await hanging).toBeInstanceOf(Error);
  });

  it('the authorize page refuses an unknown client_id or another redirect_uri', async () => {
    fake = await startFakeSchwab({ appKey: KEY, appSecret: SECRET, callbackUrl: CB, clock });
    await expect(fake.browserLogin(`${fake.url}/v1/oauth/authorize?client_id=OTHER&redirect_uri=${encodeURIComponent(CB)}`)).rejects.toThrow(/HTTP 400/);
    await expect(fake.browserLogin(`${fake.url}/v1/oauth/authorize?client_id=${KEY}&redirect_uri=https%3A%2F%2Fevil.test`)).rejects.toThrow(/redirect_uri/);
    await expect(fake.browserLogin('https://api.schwabapi.com/v1/oauth/authorize?client_id=x')).rejects.toThrow(/does not point at this fake/);
  });
});
