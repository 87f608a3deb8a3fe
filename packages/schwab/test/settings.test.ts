import { InvalidConfigError } from '@tokens/core';
import { describe, expect, it } from 'vitest';
import { createSchwab, resolveSchwabSettings, type SchwabSettings } from '../src';

const good = { appKey: 'KEY123', appSecret: 'SECRET456', callbackUrl: 'https://127.0.0.1:8182', environment: {} } satisfies SchwabSettings;

function configError(settings: SchwabSettings): InvalidConfigError {
  try {
    resolveSchwabSettings(settings);
  } catch (error) {
    expect(InvalidConfigError.isInstance(error)).toBe(true);
    return error as InvalidConfigError;
  }
  throw new Error('settings were accepted');
}

describe('settings', () => {
  it('accepts the three fields, defaults the base URL, and reads SCHWAB_* from the environment', () => {
    const resolved = resolveSchwabSettings(good);
    expect(resolved.baseUrl).toBe('https://api.schwabapi.com');
    expect(resolved.appSecret.reveal()).toBe('SECRET456');
    expect(JSON.stringify(resolved)).not.toContain('SECRET456');
    const fromEnv = resolveSchwabSettings({
      environment: { SCHWAB_APP_KEY: 'K', SCHWAB_APP_SECRET: 'S', SCHWAB_CALLBACK_URL: 'https://127.0.0.1:8182' },
    });
    expect([fromEnv.appKey, fromEnv.appSecret.reveal(), fromEnv.callbackUrl]).toEqual(['K', 'S', 'https://127.0.0.1:8182']);
    expect(resolveSchwabSettings({ ...good, baseUrl: 'http://127.0.0.1:9999/' }).baseUrl).toBe('http://127.0.0.1:9999');
    expect(resolveSchwabSettings({ ...good, callbackUrl: 'http://127.0.0.1:8765/callback' }).callbackUrl).toBe('http://127.0.0.1:8765/callback');
  });

  it.each([
    ['appKey', { appKey: undefined }, /Schwab app key .* is missing\. Pass it as `appKey` or set SCHWAB_APP_KEY\./],
    ['appSecret', { appSecret: '' }, /Pass it as `appSecret` or set SCHWAB_APP_SECRET/],
    ['callbackUrl', { callbackUrl: undefined }, /set SCHWAB_CALLBACK_URL/],
    ['callbackUrl', { callbackUrl: 'https://127.0.0.1:8182/' }, /must not end with "\/".*use "https:\/\/127\.0\.0\.1:8182"/],
    ['callbackUrl', { callbackUrl: 'http://my.host/cb' }, /must use https/],
    ['callbackUrl', { callbackUrl: '127.0.0.1:8182' }, /must be an absolute URL/],
    ['callbackUrl', { callbackUrl: 'https://127.0.0.1:8182?x=1' }, /query string/],
    ['appKey', { appKey: 'KEY 123' }, /must not contain spaces/],
    ['baseUrl', { baseUrl: 'api.schwabapi.com' }, /absolute http\(s\) URL/],
    ['timeoutMs', { timeoutMs: 0 }, /positive number/],
  ] as const)('%s: %j → an error naming the field and the fix', (path, patch, message) => {
    const error = configError({ ...good, ...patch } as SchwabSettings);
    expect(error.issues.map((i) => i.path)).toEqual([path]);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('SECRET456');
  });

  it('createSchwab validates when called, never at import time', () => {
    expect(() => createSchwab({ environment: {} })).toThrow(/is missing/);
    const adapter = createSchwab(good);
    expect(adapter.broker).toBe('schwab');
    expect(adapter.capabilities).toEqual({ renewal: 'refresh-token', interactiveLogin: 'oauth-redirect', validate: true, renewalInvalidatesPrevious: true });
    expect(adapter.expiryRule).toEqual({ kind: 'expires-in' });
    // 22.5 ± 2.5 minutes of a 30-minute token: renewals every 20–25 minutes.
    expect(adapter.defaults?.refreshAhead).toEqual({ ratio: 0.75, jitter: 2.5 / 30, minMarginMs: 5 * 60_000 });
  });
});
