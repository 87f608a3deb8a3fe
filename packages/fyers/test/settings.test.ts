import { describe, expect, it } from 'vitest';
import { InvalidConfigError, Secret } from '@tokens/core';
import { createFyers, FYERS_BASE_URL, resolveFyersSettings } from '../src';
import { APP_ID, APP_ID_HASH, APP_SECRET, REDIRECT_URI } from './helpers';

function configError(fn: () => unknown): InvalidConfigError {
  try {
    fn();
  } catch (error) {
    if (InvalidConfigError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected an InvalidConfigError');
}

describe('settings', () => {
  it('names every missing field and how to fix it, all at once', () => {
    const error = configError(() => createFyers({ environment: {} }));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.issues).toEqual([
      { path: 'appId', message: 'FYERS appId is missing. Pass it as `appId` or set FYERS_APP_ID.' },
      { path: 'appSecret', message: 'FYERS appSecret is missing. Pass it as `appSecret` or set FYERS_APP_SECRET.' },
      { path: 'pin', message: 'FYERS pin is missing. Pass it as `pin` or set FYERS_PIN.' },
      { path: 'redirectUri', message: 'FYERS redirectUri is missing. Pass it as `redirectUri` or set FYERS_REDIRECT_URI.' },
    ]);
  });

  it('falls back to FYERS_* environment variables, read when createFyers runs', () => {
    const resolved = resolveFyersSettings({
      environment: { FYERS_APP_ID: APP_ID, FYERS_APP_SECRET: APP_SECRET, FYERS_PIN: '4821', FYERS_REDIRECT_URI: REDIRECT_URI },
    });
    expect(resolved.appId).toBe(APP_ID);
    expect(resolved.appIdHash.reveal()).toBe(APP_ID_HASH);
    expect(resolved.pin.reveal()).toBe('4821');
    expect(resolved.redirectUri).toBe(REDIRECT_URI);
    expect(resolved.baseUrl).toBe(FYERS_BASE_URL);
    // Settings win over the environment; Secrets are accepted; trailing slashes go.
    const explicit = resolveFyersSettings({
      appId: 'ZZZZZZZZ99-100',
      appSecret: new Secret('other'),
      pin: new Secret('0001'),
      redirectUri: 'http://127.0.0.1:9/cb',
      baseUrl: 'http://127.0.0.1:9/api/v3/',
      environment: { FYERS_APP_ID: APP_ID },
    });
    expect(explicit).toMatchObject({ appId: 'ZZZZZZZZ99-100', redirectUri: 'http://127.0.0.1:9/cb', baseUrl: 'http://127.0.0.1:9/api/v3' });
    expect(explicit.pin.reveal()).toBe('0001');
  });

  it('rejects malformed values without echoing them', () => {
    const error = configError(() =>
      createFyers({
        appId: 'ABCDEFGH12',
        appSecret: APP_SECRET,
        pin: 'pw-98765',
        redirectUri: 'not a url',
        baseUrl: 'ftp://api-t1.fyers.in',
        timeoutMs: -5,
        fetch: 'fetch' as unknown as typeof fetch,
        environment: {},
      }),
    );
    expect(error.issues.map((i) => i.path)).toEqual(['appId', 'pin', 'redirectUri', 'baseUrl', 'timeoutMs', 'fetch']);
    expect(error.issues[0]!.message).toBe('FYERS appId must be the full app id with its app-type suffix, e.g. "ABCDEFGH12-100".');
    expect(error.issues[1]!.message).toBe('FYERS pin must be your 4-digit FYERS trading PIN.');
    expect(error.message).not.toContain('pw-98765');
    expect(error.message).not.toContain(APP_SECRET);
  });

  it('the adapter declares the FYERS rules: daily 06:00 IST expiry, renewal 06:05–08:55 IST, refresh-token renewal, browser login, probe', () => {
    const adapter = createFyers({ appId: APP_ID, appSecret: APP_SECRET, pin: '1234', redirectUri: REDIRECT_URI, environment: {} });
    expect(adapter).toMatchObject({
      specificationVersion: 'v1',
      broker: 'fyers',
      appId: APP_ID,
      capabilities: { renewal: 'refresh-token', interactiveLogin: 'oauth-redirect', validate: true },
      expiryRule: { kind: 'daily', at: { time: '06:00', timeZone: 'Asia/Kolkata' } },
      renewalWindow: { start: '06:05', end: '08:55', timeZone: 'Asia/Kolkata' },
    });
    expect(adapter.login.kind).toBe('oauth-redirect');
    expect(JSON.stringify(adapter)).not.toContain(APP_SECRET);
    expect(JSON.stringify(adapter)).not.toContain(APP_ID_HASH);
  });
});
