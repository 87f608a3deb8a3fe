import { InvalidConfigError, Secret } from '@tokens/core';
import { describe, expect, it } from 'vitest';
import { loadOptionalSetting, loadSecretSetting, loadSetting, withoutTrailingSlash } from '../src';

const fyers = { environmentVariableName: 'FYERS_APP_SECRET', parameterName: 'appSecret', description: 'FYERS app secret' } as const;

describe('loadSetting', () => {
  it('prefers the value, then the environment', () => {
    expect(loadSetting({ ...fyers, value: 'v', environment: { FYERS_APP_SECRET: 'e' } })).toBe('v');
    expect(loadSetting({ ...fyers, value: undefined, environment: { FYERS_APP_SECRET: 'e' } })).toBe('e');
    expect(loadSetting({ ...fyers, value: '', environment: { FYERS_APP_SECRET: 'e' } })).toBe('e');
  });

  it('says how to fix a missing setting', () => {
    let error: unknown;
    try {
      loadSetting({ ...fyers, value: undefined, environment: { FYERS_APP_SECRET: '  ' } });
    } catch (e) {
      error = e;
    }
    expect(InvalidConfigError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe('FYERS app secret is missing. Pass it as `appSecret` or set FYERS_APP_SECRET.');
    expect((error as InvalidConfigError).issues).toEqual([{ path: 'appSecret', message: (error as Error).message }]);
  });

  it('names only what exists', () => {
    expect(() => loadSetting({ value: undefined, description: 'Dhan client id', parameterName: 'clientId', environment: {} })).toThrow(
      'Dhan client id is missing. Pass it as `clientId`.',
    );
    expect(() => loadSetting({ value: undefined, description: 'Kite API key', environmentVariableName: 'KITE_API_KEY', environment: {} })).toThrow(
      'Kite API key is missing. Set KITE_API_KEY.',
    );
    expect(() => loadSetting({ ...fyers, value: 42 as unknown as string, environment: {} })).toThrow(
      'FYERS app secret must be a string. Pass it as `appSecret` or set FYERS_APP_SECRET.',
    );
  });

  it('reads process.env lazily when no environment is given', () => {
    const name = `TOKENS_TEST_${Math.random().toString(36).slice(2)}`;
    const options = { value: undefined, environmentVariableName: name, description: 'Test value' };
    expect(loadOptionalSetting(options)).toBeUndefined();
    process.env[name] = 'late';
    try {
      expect(loadSetting(options)).toBe('late');
    } finally {
      delete process.env[name];
    }
  });

  it('loadSecretSetting returns a Secret from a string, a Secret or the environment', () => {
    expect(loadSecretSetting({ ...fyers, value: 'x' }).reveal()).toBe('x');
    const given = new Secret('y');
    expect(loadSecretSetting({ ...fyers, value: given })).toBe(given);
    const fromEnv = loadSecretSetting({ ...fyers, value: new Secret(''), environment: { FYERS_APP_SECRET: 'z' } });
    expect(Secret.isInstance(fromEnv)).toBe(true);
    expect(fromEnv.reveal()).toBe('z');
    expect(() => loadSecretSetting({ ...fyers, value: undefined, environment: {} })).toThrow(/FYERS app secret is missing/);
  });
});

describe('withoutTrailingSlash', () => {
  it('strips trailing slashes only', () => {
    expect(withoutTrailingSlash('https://api.example.com/v1/')).toBe('https://api.example.com/v1');
    expect(withoutTrailingSlash('https://api.example.com//')).toBe('https://api.example.com');
    expect(withoutTrailingSlash('https://api.example.com')).toBe('https://api.example.com');
    expect(withoutTrailingSlash(undefined)).toBeUndefined();
  });
});
