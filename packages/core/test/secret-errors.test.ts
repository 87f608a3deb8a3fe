import { createRequire } from 'node:module';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BrokerApiError, InvalidConfigError, LoginRequiredError, StoreConflictError, TokensError, toTokensError } from '../src/errors';
import { fingerprint, scrubText, Secret } from '../src/secret';

const CANARY = 'CANARY-9a8b7c6d5e4f3a2b1c0d';

describe('Secret', () => {
  it('redacts itself everywhere and reveals only through reveal()', () => {
    const s = new Secret(CANARY);
    const outputs = [String(s), `${s}`, JSON.stringify({ s }), inspect(s), inspect({ nested: { s } }, { depth: 5 }), s + ''];
    for (const out of outputs) expect(out).not.toContain(CANARY);
    expect(JSON.stringify({ s })).toBe('{"s":"[redacted]"}');
    expect(s.reveal()).toBe(CANARY);
    expect(s.equals(CANARY)).toBe(true);
    expect(s.equals('other')).toBe(false);
    expect(Secret.isInstance(s)).toBe(true);
    expect(Secret.from(s)).toBe(s);
    expect(fingerprint(s)).toBe('…1c0d');
  });

  it('scrubText removes URL queries, auth schemes and long token runs', () => {
    const text = `POST https://auth.example/app?pin=1234&totp=999999 failed; Authorization: Bearer abc.def; token=${CANARY}`;
    const out = scrubText(text);
    expect(out).not.toContain('pin=1234');
    expect(out).not.toContain('abc.def');
    expect(out).not.toContain(CANARY);
    expect(out).toContain('https://auth.example/app?[redacted]');
  });
});

describe('errors', () => {
  it('carry a stable code, isRetryable and needsHuman', () => {
    expect(new BrokerApiError({ broker: 'x', message: 'm', statusCode: 503 })).toMatchObject({ code: 'BROKER_API_ERROR', isRetryable: true, needsHuman: false, isAuthError: false });
    expect(new BrokerApiError({ broker: 'x', message: 'm', statusCode: 401 })).toMatchObject({ isRetryable: false, isAuthError: true });
    expect(new BrokerApiError({ broker: 'x', message: 'm', statusCode: 429 }).isRetryable).toBe(true);
    expect(new LoginRequiredError({ message: 'm' })).toMatchObject({ code: 'LOGIN_REQUIRED', isRetryable: false, needsHuman: true });
    expect(new StoreConflictError({ accountId: 'a', expectedVersion: 1, actualVersion: 2 })).toMatchObject({ code: 'STORE_CONFLICT', isRetryable: true });
    const config = new InvalidConfigError({ issues: [{ path: 'accounts[0].broker', message: 'unknown broker "fyres"; did you mean "fyers"?' }] });
    expect(config.message).toContain('accounts[0].broker: unknown broker "fyres"');
  });

  it('are recognised across two loaded copies of the package (ESM and CJS builds)', () => {
    const require = createRequire(import.meta.url);
    const cjs = require('../dist/index.cjs') as typeof import('../src/index');
    const foreign = new cjs.LoginRequiredError({ message: 'from the other copy' });
    expect(foreign instanceof LoginRequiredError).toBe(false);
    expect(TokensError.isInstance(foreign)).toBe(true);
    expect(LoginRequiredError.isInstance(foreign)).toBe(true);
    expect(BrokerApiError.isInstance(foreign)).toBe(false);
    expect(cjs.TokensError.isInstance(new BrokerApiError({ broker: 'x', message: 'm' }))).toBe(true);
  });

  it('serialise without causes, and wrap foreign throws with scrubbed messages', () => {
    const cause = Object.assign(new Error(`GET https://api.example/x?access_token=${CANARY}`), { config: { headers: { Authorization: `Bearer ${CANARY}` } } });
    const wrapped = toTokensError(cause);
    expect(wrapped.code).toBe('ADAPTER_ERROR');
    expect(JSON.stringify(wrapped)).not.toContain(CANARY);
    expect(wrapped.message).not.toContain(CANARY);
    expect(Object.keys(JSON.parse(JSON.stringify(wrapped))).sort()).toEqual(['code', 'isRetryable', 'message', 'name', 'needsHuman']);
  });
});
