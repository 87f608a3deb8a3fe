import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { InvalidConfigError, Secret } from '@tokens/core';
import { createKotak, maskMobileNumber, maskUcc } from '../src';
import { resolveKotakSettings } from '../src/kotak-settings';

const good = {
  consumerKey: 'ck-0123456789abcdef',
  mobileNumber: '+919876543210',
  ucc: 'ABC12',
  totpSecret: 'JBSWY3DPEHPK3PXP',
  mpin: '482913',
};

function configError(run: () => unknown): InvalidConfigError {
  try {
    run();
  } catch (error) {
    if (InvalidConfigError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected an InvalidConfigError');
}

describe('settings', () => {
  it('a missing field names the setting and the environment variable', () => {
    const error = configError(() => createKotak({ ...good, mpin: undefined, environment: {} }));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.issues).toEqual([{ path: 'mpin', message: 'Kotak MPIN is missing. Pass it as `mpin` or set KOTAK_MPIN.' }]);
    expect(error.message).toBe('Kotak MPIN is missing. Pass it as `mpin` or set KOTAK_MPIN.');
  });

  it('reports every bad field at once, with the fix, and never echoes a value', () => {
    const bad = { consumerKey: 'ck-q7z', mobileNumber: '55501', ucc: 'QQ-77!', totpSecret: 'zz base32 !!', mpin: '12ab56', loginBaseUrl: 'mis.kotaksecurities.com', timeoutMs: -1 };
    const error = configError(() => createKotak({ ...bad, environment: {} }));
    expect(error.issues.map((i) => i.path)).toEqual(['consumerKey', 'mobileNumber', 'ucc', 'totpSecret', 'mpin', 'loginBaseUrl', 'timeoutMs']);
    expect(error.issues.find((i) => i.path === 'mpin')?.message).toBe('Kotak MPIN must be the 6-digit MPIN (digits only). Pass it as `mpin` or set KOTAK_MPIN.');
    expect(error.issues.find((i) => i.path === 'totpSecret')?.message).toContain('is not a base32 TOTP setup key');
    expect(error.issues.find((i) => i.path === 'mobileNumber')?.message).toContain('"+919876543210"');
    for (const value of [bad.consumerKey, bad.mobileNumber, bad.ucc, bad.totpSecret, bad.mpin]) {
      expect(error.message).not.toContain(value);
      expect(JSON.stringify(error)).not.toContain(value);
      expect(inspect(error)).not.toContain(value);
    }
  });

  it('falls back to KOTAK_* environment variables, read when createKotak runs', () => {
    const environment = {
      KOTAK_CONSUMER_KEY: good.consumerKey,
      KOTAK_MOBILE_NUMBER: '98765 43210',
      KOTAK_UCC: good.ucc,
      KOTAK_TOTP_SECRET: 'jbsw y3dp ehpk 3pxp',
      KOTAK_MPIN: good.mpin,
    };
    const s = resolveKotakSettings({ environment });
    expect(s.mobileNumber).toBe('+919876543210');
    expect(s.consumerKey.reveal()).toBe(good.consumerKey);
    expect(s.loginBaseUrl).toBe('https://mis.kotaksecurities.com');
    expect(s.neoFinKey).toBe('neotradeapi');
    expect(createKotak({ environment }).broker).toBe('kotak');
    // Values passed in code win over the environment.
    expect(resolveKotakSettings({ environment, ucc: 'XYZ99' }).ucc).toBe('XYZ99');
  });

  it('accepts Secrets for the credentials and keeps them as Secrets', () => {
    const s = resolveKotakSettings({ ...good, consumerKey: new Secret(good.consumerKey), mpin: new Secret(good.mpin), loginBaseUrl: 'http://127.0.0.1:9/', environment: {} });
    expect(Secret.isInstance(s.mpin) && s.mpin.reveal()).toBe(good.mpin);
    expect(s.loginBaseUrl).toBe('http://127.0.0.1:9');
    expect(JSON.stringify(s)).not.toContain(good.mpin);
    expect(JSON.stringify(s)).not.toContain(good.consumerKey);
  });

  it('the adapter declares relogin, a probe, single-session renewals and the daily IST rule', () => {
    const adapter = createKotak({ ...good, environment: {} });
    expect(adapter.capabilities).toEqual({ renewal: 'relogin', validate: true, renewalInvalidatesPrevious: true });
    expect(adapter.login).toBeUndefined();
    expect(adapter.expiryRule).toEqual({ kind: 'daily', at: { time: '00:00', timeZone: 'Asia/Kolkata' } });
    expect(adapter.renewalWindow).toEqual({ start: '08:00', end: '09:00', timeZone: 'Asia/Kolkata' });
    expect(adapter.defaults).toBeUndefined();
  });

  it('masks the mobile number and UCC for humans', () => {
    expect(maskMobileNumber('+919876543210')).toBe('+91******3210');
    expect(maskMobileNumber('+14155550100')).toBe('+*******0100');
    expect(maskUcc('ABC12')).toBe('AB***');
    expect(maskUcc('ABCDEFGH')).toBe('AB******');
  });
});
