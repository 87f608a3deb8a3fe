import { describe, expect, it } from 'vitest';
import { InvalidConfigError, Secret } from '@tokens/core';
import { createKite, kiteReminders } from '../src';
import { resolveKiteSettings } from '../src/kite-settings';

const MIN = 60_000;

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
  it('a missing API key or secret names the field and the environment variable', () => {
    expect(configError(() => createKite({ apiSecret: 's', environment: {} })).message).toBe(
      'Kite Connect API key is missing. Pass it as `apiKey` or set KITE_API_KEY.',
    );
    const e = configError(() => createKite({ apiKey: 'key1', environment: {} }));
    expect(e.issues).toEqual([{ path: 'apiSecret', message: 'Kite Connect API secret is missing. Pass it as `apiSecret` or set KITE_API_SECRET.' }]);
  });

  it('falls back to KITE_API_KEY / KITE_API_SECRET / KITE_REDIRECT_URL and applies defaults', () => {
    const s = resolveKiteSettings({ environment: { KITE_API_KEY: 'envkey1', KITE_API_SECRET: 'env-secret', KITE_REDIRECT_URL: 'https://x.example/cb' } });
    expect(s).toMatchObject({
      apiKey: 'envkey1',
      redirectUrl: 'https://x.example/cb',
      baseUrl: 'https://api.kite.trade',
      loginUrl: 'https://kite.zerodha.com/connect/login',
      validateEveryMs: 15 * MIN,
      useRefreshTokens: false,
    });
    expect(s.apiSecret.reveal()).toBe('env-secret');
    expect(s.refreshToken).toBeUndefined();
  });

  it('rejects malformed fields, naming every one with a fix, and never quotes the secret', () => {
    const e = configError(() =>
      createKite({ apiKey: 'has space', apiSecret: 'CANARY-secret-value-abcdef', baseUrl: 'ftp://x', loginUrl: 'nope', timeoutMs: -1, validateEveryMs: -5, refreshToken: ' ', environment: {} }),
    );
    expect(e.issues.map((i) => i.path)).toEqual(['apiKey', 'baseUrl', 'loginUrl', 'timeoutMs', 'validateEveryMs', 'refreshToken']);
    expect(e.issues[0]!.message).toContain('developers.kite.trade');
    expect(e.message).not.toContain('CANARY-secret-value-abcdef');
    expect(JSON.stringify(e)).not.toContain('CANARY-secret-value-abcdef');
  });

  it('a configured refresh token (or useRefreshTokens) switches renewal to refresh-token; validateEveryMs 0 turns the probe off', () => {
    const base = { apiKey: 'key1', apiSecret: new Secret('s'), environment: {} };
    expect(createKite(base).capabilities.renewal).toBe('none');
    expect(createKite(base).defaults).toEqual({ validateEveryMs: 15 * MIN });
    expect(createKite({ ...base, refreshToken: 'rt-123' }).capabilities.renewal).toBe('refresh-token');
    expect(createKite({ ...base, useRefreshTokens: true }).capabilities.renewal).toBe('refresh-token');
    expect(createKite({ ...base, validateEveryMs: 0 }).defaults).toBeUndefined();
    expect(createKite({ ...base, baseUrl: 'http://127.0.0.1:9/' }).doValidate).toBeTypeOf('function');
  });
});

describe('kiteReminders', () => {
  it('default: 08:00 info, 08:30 warning, 08:45 critical before the 09:00 IST pre-open', () => {
    expect(kiteReminders()).toEqual([
      { beforeMs: 60 * MIN, severity: 'info' },
      { beforeMs: 30 * MIN, severity: 'warning' },
      { beforeMs: 15 * MIN, severity: 'critical' },
    ]);
    expect(kiteReminders({ firstAt: '07:15' })[0]).toEqual({ beforeMs: 105 * MIN, severity: 'info' });
    expect(kiteReminders({ firstAt: '08:40' })).toEqual([
      { beforeMs: 20 * MIN, severity: 'info' },
      { beforeMs: 15 * MIN, severity: 'critical' },
    ]);
    expect(kiteReminders({ firstAt: '08:50' })).toEqual([{ beforeMs: 10 * MIN, severity: 'critical' }]);
  });

  it('refuses a first reminder outside 06:00–08:59 IST', () => {
    for (const firstAt of ['09:00', '05:59', '8:00', 'soon']) {
      expect(configError(() => kiteReminders({ firstAt })).issues[0]!.path).toBe('firstAt');
    }
  });

  it('a first reminder at 08:30 gives info at 08:30 and critical at 08:45', () => {
    expect(kiteReminders({ firstAt: '08:30' })).toEqual([
      { beforeMs: 30 * MIN, severity: 'info' },
      { beforeMs: 15 * MIN, severity: 'critical' },
    ]);
  });
});
