import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFakeClock, type FakeClock } from '@tokens/core/testing';
import { startFakeFyers, type FakeFyersServer } from '../src/fake';
import { APP_ID, APP_ID_HASH, APP_SECRET, ist, PIN } from './helpers';

// The official FYERS Node SDK, fyers-api-v3@1.9.0, unchanged. Its base URLs live in one shared
// object, `require('fyers-api-v3/config/config.js').Config`; pointing `SYNC_API` (and the legacy
// `API`) at the fake is the only change. It ships no types: the minimal shape used here follows.

interface FyersError {
  s: 'error';
  code: number;
  message: string;
}
interface FyersModel {
  setAppId(appId: string): void;
  setRedirectUrl(url: string): void;
  /** Stores `${appId}:${token}` as the Authorization header value. */
  setAccessToken(token: string): void;
  generateAuthCode(req?: { client_id?: string; redirect_uri?: string; state?: string }): string;
  /** Resolves the response body, or FYERS' error body (it never rejects). */
  generate_access_token(req: { client_id?: string; secret_key: string; auth_code: string }): Promise<Record<string, unknown>>;
  /** Rejects with FYERS' error body. */
  get_profile(): Promise<Record<string, unknown>>;
  logout_user(req?: unknown): Promise<Record<string, unknown>>;
}
interface FyersSdk {
  fyersModel: new (params?: { AccessToken?: string; AppID?: string; RedirectURL?: string; enableLogging?: boolean; path?: string; Version?: string }) => FyersModel;
}

const require = createRequire(import.meta.url);
const { fyersModel } = require('fyers-api-v3') as FyersSdk;
const { Config } = require('fyers-api-v3/config/config.js') as { Config: Record<string, string> };

// The SDK does not URL-encode `redirect_uri` in the login URL, so use one that needs no encoding.
const REDIRECT = 'http://127.0.0.1:8765/fyers/callback';
const ORIGINAL = { SYNC_API: Config.SYNC_API!, API: Config.API! };

let clock: FakeClock;
let fake: FakeFyersServer;
let logDir: string;
let repoFilesBefore: string[];

beforeAll(() => {
  repoFilesBefore = readdirSync(process.cwd()).sort();
});

beforeEach(async () => {
  clock = createFakeClock(ist('2026-01-05T08:45'));
  fake = await startFakeFyers({ clock, appId: APP_ID, appSecret: APP_SECRET, pin: PIN, redirectUri: REDIRECT });
  // The only change to the SDK: its shared base URLs.
  Config.SYNC_API = fake.url;
  Config.API = fake.url;
  logDir = mkdtempSync(join(tmpdir(), 'fyers-sdk-'));
});

afterEach(async () => {
  Config.SYNC_API = ORIGINAL.SYNC_API;
  Config.API = ORIGINAL.API;
  await fake.close();
  rmSync(logDir, { recursive: true, force: true });
});

afterAll(() => {
  // The SDK logs into `${cwd}/YYYY-MM-DD.log` by default; nothing may be left in the package.
  expect(readdirSync(process.cwd()).sort()).toEqual(repoFilesBefore);
});

/** A client as the SDK's README builds one; logs go to a temp dir and are switched off. */
function client(): FyersModel {
  const fyers = new fyersModel({ path: logDir, enableLogging: false });
  fyers.setAppId(APP_ID);
  fyers.setRedirectUrl(REDIRECT);
  return fyers;
}

const jwtPayload = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('the official fyers-api-v3 SDK pointed at the fake (Config.SYNC_API = fake.url)', () => {
  it('generateAuthCode → login → generate_access_token → get_profile → logout_user, unchanged', async () => {
    const fyers = client();

    const loginUrl = fyers.generateAuthCode({ state: 'signed-state' });
    expect(loginUrl).toBe(`${fake.url}/generate-authcode?client_id=${APP_ID}&redirect_uri=${REDIRECT}&response_type=code&state=signed-state`);
    const landed = new URL(await fake.browserLogin(loginUrl));
    expect(`${landed.origin}${landed.pathname}`).toBe(REDIRECT);
    expect([landed.searchParams.get('s'), landed.searchParams.get('code'), landed.searchParams.get('state')]).toEqual(['ok', '200', 'signed-state']);
    const authCode = landed.searchParams.get('auth_code')!;

    const tokens = await fyers.generate_access_token({ client_id: APP_ID, secret_key: APP_SECRET, auth_code: authCode });
    expect(Object.keys(tokens)).toEqual(['s', 'code', 'message', 'access_token', 'refresh_token']);
    expect(tokens).toMatchObject({ s: 'ok', code: 200, message: '' });
    const accessToken = tokens.access_token as string;
    expect(fake.accessTokenStatus(accessToken)).toBe('valid');
    // exp = the next 06:00 IST (Tue 6 Jan 2026), in whole seconds.
    expect(jwtPayload(accessToken).exp).toBe(ist('2026-01-06T06:00') / 1000);

    fyers.setAccessToken(accessToken);
    expect(await fyers.get_profile()).toEqual({
      s: 'ok',
      code: 200,
      message: '',
      data: {
        name: 'FAKE TRADER',
        image: null,
        display_name: 'FAKE',
        email_id: 'trader@example.com',
        PAN: 'XXXXX0000X',
        fy_id: 'XA00000',
        pin_change_date: '01-01-2026 09:00:00',
        mobile_number: '9000000000',
        totp: true,
        pwd_change_date: null,
        pwd_to_expire: 90,
        ddpi_enabled: false,
        mtf_enabled: false,
      },
    });

    expect(await fyers.logout_user()).toEqual({ s: 'ok', code: 200, message: 'you are successfully logged out' });
    expect(fake.accessTokenStatus(accessToken)).toBe('revoked');
    await expect(fyers.get_profile()).rejects.toEqual({ s: 'error', code: -16, message: 'Could not authenticate the user' });

    const authorization = `${APP_ID}:${accessToken}`;
    expect(fake.calls.map((c) => ({ method: c.method, path: c.path, query: c.query, json: c.json, authorization: c.headers.authorization, contentType: c.headers['content-type'], version: c.headers.version }))).toEqual([
      {
        method: 'GET',
        path: '/api/v3/generate-authcode',
        query: { client_id: APP_ID, redirect_uri: REDIRECT, response_type: 'code', state: 'signed-state' },
        json: undefined,
        authorization: undefined,
        contentType: undefined,
        version: undefined,
      },
      {
        method: 'POST',
        path: '/api/v3/validate-authcode',
        query: {},
        json: { grant_type: 'authorization_code', code: authCode, appIdHash: APP_ID_HASH },
        authorization: undefined,
        contentType: 'application/json',
        version: undefined,
      },
      { method: 'GET', path: '/api/v3/profile', query: {}, json: undefined, authorization, contentType: undefined, version: '2.0' },
      { method: 'POST', path: '/api/v3/logout', query: {}, json: undefined, authorization, contentType: 'application/x-www-form-urlencoded', version: '2.0' },
      { method: 'GET', path: '/api/v3/profile', query: {}, json: undefined, authorization, contentType: undefined, version: '2.0' },
    ]);
    expect(readdirSync(logDir)).toEqual([]);
  });

  it('a reused auth code and a wrong secret come back as FYERS error bodies, which the SDK returns as is', async () => {
    const fyers = client();
    const authCode = new URL(await fake.browserLogin(fyers.generateAuthCode())).searchParams.get('auth_code')!;

    const wrongSecret: FyersError = { s: 'error', code: -371, message: 'Please provide sha256 hash of appId and app secret' };
    expect(await fyers.generate_access_token({ secret_key: 'not-the-secret', auth_code: authCode })).toEqual(wrongSecret);
    expect((await fyers.generate_access_token({ secret_key: APP_SECRET, auth_code: authCode })).s).toBe('ok');
    const reused: FyersError = { s: 'error', code: -17, message: 'Could not authenticate the user or Token is Expired' };
    expect(await fyers.generate_access_token({ secret_key: APP_SECRET, auth_code: authCode })).toEqual(reused);

    expect(fake.calls.map((c) => [c.method, c.path, c.query.state, c.json])).toEqual([
      ['GET', '/api/v3/generate-authcode', 'sample_state', undefined],
      ['POST', '/api/v3/validate-authcode', undefined, { grant_type: 'authorization_code', code: authCode, appIdHash: createHash('sha256').update(`${APP_ID}:not-the-secret`).digest('hex') }],
      ['POST', '/api/v3/validate-authcode', undefined, { grant_type: 'authorization_code', code: authCode, appIdHash: APP_ID_HASH }],
      ['POST', '/api/v3/validate-authcode', undefined, { grant_type: 'authorization_code', code: authCode, appIdHash: APP_ID_HASH }],
    ]);
  });

  it('has no call for the refresh token: validate-refresh-token is not in the SDK', () => {
    const fyers = client() as unknown as Record<string, unknown>;
    const methods = Object.keys(fyers).filter((k) => typeof fyers[k] === 'function');
    expect(methods).toEqual(expect.arrayContaining(['generateAuthCode', 'generate_access_token', 'get_profile', 'logout_user']));
    expect(methods.filter((m) => /refresh/i.test(m))).toEqual([]);
    expect(Object.values(Config).filter((v) => /refresh/i.test(v))).toEqual([]);
    expect(readFileSync(require.resolve('fyers-api-v3/apiService/apiService.js'), 'utf8')).not.toContain('validate-refresh-token');
  });
});
