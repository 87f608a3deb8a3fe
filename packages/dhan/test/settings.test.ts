import { describe, expect, it } from 'vitest';
import { InvalidConfigError, Secret } from '@tokens/core';
import { createDhan, type DhanSettings } from '../src';

const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

function configError(settings: DhanSettings): InvalidConfigError {
  try {
    createDhan(settings);
  } catch (error) {
    if (InvalidConfigError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected an InvalidConfigError');
}

describe('createDhan settings', () => {
  it('mode totp without pin and totpSecret names both fields and where to get them', () => {
    const error = configError({ mode: 'totp', clientId: '1000000401', environment: {} });
    expect(error.issues).toEqual([
      { path: 'pin', message: 'Dhan PIN (mode "totp" logs in with PIN + TOTP) is missing. Pass it as `pin` or set DHAN_PIN.' },
      {
        path: 'totpSecret',
        message:
          'Dhan TOTP secret (the setup key shown when you enabled TOTP under web.dhan.co → DhanHQ Trading APIs) is missing. Pass it as `totpSecret` or set DHAN_TOTP_SECRET.',
      },
    ]);
    expect(error).toMatchObject({ code: 'INVALID_CONFIG', needsHuman: true, isRetryable: false });
    expect(error.message.startsWith('Invalid Dhan settings:\n  - pin: Dhan PIN')).toBe(true);
  });

  it('mode renew needs accessToken; mode consent needs apiKey and apiSecret; every mode needs clientId', () => {
    expect(configError({ mode: 'renew', clientId: '1000000401', environment: {} }).issues.map((i) => i.path)).toEqual(['accessToken']);
    expect(configError({ mode: 'consent', clientId: '1000000401', environment: {} }).issues.map((i) => i.path)).toEqual(['apiKey', 'apiSecret']);
    const noClient = configError({ mode: 'renew', accessToken: 't', environment: {} });
    expect(noClient.issues[0]).toEqual({
      path: 'clientId',
      message: 'Dhan client id (your account number, shown on web.dhan.co) is missing. Pass it as `clientId` or set DHAN_CLIENT_ID.',
    });
  });

  it('reads DHAN_* from the given environment when a setting is absent (never at import time)', () => {
    const adapter = createDhan({
      mode: 'totp',
      environment: { DHAN_CLIENT_ID: '1000000401', DHAN_PIN: '246810', DHAN_TOTP_SECRET: TOTP_SECRET },
    });
    expect(adapter.mode).toBe('totp');
    const consent = createDhan({ mode: 'consent', clientId: '1000000401', environment: { DHAN_API_KEY: 'k', DHAN_API_SECRET: 's' } });
    expect(consent.login?.kind).toBe('oauth-redirect');
  });

  it('explicit settings win over the environment; empty strings count as missing', () => {
    const error = configError({ mode: 'totp', clientId: '1000000401', pin: '  ', totpSecret: TOTP_SECRET, environment: {} });
    expect(error.issues.map((i) => i.path)).toEqual(['pin']);
    expect(() => createDhan({ mode: 'totp', clientId: '1000000401', pin: '246810', totpSecret: TOTP_SECRET, environment: { DHAN_PIN: 'x' } })).not.toThrow();
  });

  it('rejects a PIN that is not digits and a TOTP secret that is not base32, without echoing either', () => {
    const error = configError({ mode: 'totp', clientId: '1000000401', pin: 'pin-is-wrong', totpSecret: 'not base32 !!', environment: {} });
    expect(error.issues).toEqual([
      { path: 'pin', message: 'must be your Dhan PIN: digits only (Dhan PINs have 6 digits).' },
      { path: 'totpSecret', message: 'is not a valid base32 TOTP setup key; copy the key Dhan showed when you enabled TOTP (spaces are fine).' },
    ]);
    expect(JSON.stringify(error)).not.toContain('pin-is-wrong');
    expect(error.message).not.toContain('not base32');
  });

  it('accepts Secrets for credentials and a setup key with spaces and lower case', () => {
    const adapter = createDhan({
      mode: 'totp',
      clientId: '1000000401',
      pin: new Secret('246810'),
      totpSecret: new Secret('jbsw y3dp ehpk 3pxp'),
      environment: {},
    });
    expect(adapter.capabilities.renewal).toBe('relogin');
  });

  it('rejects unknown settings (typos), a bad mode, bad URLs, a bad timeout, half an API key and a client id with spaces', () => {
    expect(configError({ mode: 'totp', clientId: '1', totp_secret: 'x' } as unknown as DhanSettings).issues).toEqual([
      { path: 'totp_secret', message: 'unknown setting' },
    ]);
    expect(configError({ mode: 'daily' } as unknown as DhanSettings).issues).toEqual([{ path: 'mode', message: 'must be "totp", "renew" or "consent"' }]);
    expect(configError({ mode: 'renew', clientId: '1', accessToken: 't', baseUrl: 'ftp://x', authBaseUrl: 'nope' }).issues.map((i) => i.path)).toEqual([
      'baseUrl',
      'authBaseUrl',
    ]);
    expect(configError({ mode: 'renew', clientId: '1', accessToken: 't', timeoutMs: -5 }).issues.map((i) => i.path)).toEqual(['timeoutMs']);
    expect(configError({ mode: 'renew', clientId: '1000000401', accessToken: 't', apiKey: 'k', environment: {} }).issues).toEqual([
      { path: 'apiSecret', message: 'the consent login needs both `apiKey` and `apiSecret`; pass both or neither.' },
    ]);
    expect(configError({ mode: 'renew', clientId: '1000 0401', accessToken: 't', environment: {} }).issues.map((i) => i.path)).toEqual(['clientId']);
    expect(configError({ mode: 'renew', clientId: '1000000401', accessToken: 'two words', environment: {} }).issues.map((i) => i.path)).toEqual(['accessToken']);
  });

  it('the adapter object reveals no credential when printed or serialised', async () => {
    const { inspect } = await import('node:util');
    const adapter = createDhan({
      mode: 'totp',
      clientId: '1000000401',
      pin: '975318',
      totpSecret: TOTP_SECRET,
      apiKey: 'api-key-canary-123',
      apiSecret: 'api-secret-canary-456',
      environment: {},
    });
    for (const text of [JSON.stringify(adapter), inspect(adapter, { depth: 10 }), String(adapter)]) {
      for (const secret of ['975318', TOTP_SECRET, 'api-key-canary-123', 'api-secret-canary-456']) expect(text).not.toContain(secret);
    }
  });
});
