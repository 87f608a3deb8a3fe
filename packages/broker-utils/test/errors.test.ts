import { InvalidCredentialsError, LoginRequiredError } from '@tokens/core';
import { describe, expect, it } from 'vitest';
import { classifyStatus, invalidCredentials, loginRequired, parseRetryAfter, retryAfterFromHeaders } from '../src';

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 10, 22, 4, 0, 0);

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 3 ', now)).toBe(3000);
  });

  it('reads an HTTP-date relative to now, never negative', () => {
    expect(parseRetryAfter('Sun, 22 Nov 2026 04:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 03:00:00 GMT', now)).toBe(0);
  });

  it('ignores absent or junk values', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('12345678', now)).toBe(12_345_678_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('prefers retry-after-ms', () => {
    expect(retryAfterFromHeaders(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now)).toBe(250);
    expect(retryAfterFromHeaders(new Headers({ 'retry-after': '9' }), now)).toBe(9000);
    expect(retryAfterFromHeaders(new Headers(), now)).toBeUndefined();
  });
});

describe('classifyStatus', () => {
  it.each([
    [200, 'ok'],
    [204, 'ok'],
    [401, 'auth'],
    [403, 'auth'],
    [408, 'retryable'],
    [409, 'retryable'],
    [425, 'retryable'],
    [429, 'retryable'],
    [500, 'retryable'],
    [503, 'retryable'],
    [400, 'client'],
    [404, 'client'],
    [302, 'client'],
  ] as const)('%i → %s', (status, expected) => {
    expect(classifyStatus(status)).toBe(expected);
  });
});

describe('human-step helpers', () => {
  it('loginRequired and invalidCredentials build typed errors', () => {
    const cause = new Error('inner');
    const a = loginRequired('fyers', 'FYERS refresh token expired; log in again.', cause);
    expect(LoginRequiredError.isInstance(a)).toBe(true);
    expect(a).toMatchObject({ broker: 'fyers', needsHuman: true, isRetryable: false, cause });
    const b = invalidCredentials('dhan', 'Dhan rejected the PIN.');
    expect(InvalidCredentialsError.isInstance(b)).toBe(true);
    expect(b).toMatchObject({ broker: 'dhan', needsHuman: true, isRetryable: false, message: 'Dhan rejected the PIN.' });
  });
});
