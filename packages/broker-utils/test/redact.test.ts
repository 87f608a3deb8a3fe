import { Secret } from '@tokens/core';
import { describe, expect, it } from 'vitest';
import { isSensitiveFieldName, redactBody, redactMessage } from '../src';

describe('redactBody', () => {
  it('removes given secrets in raw, URL-encoded and JSON-escaped form', () => {
    const secret = 'a/b+c"d';
    const body = `raw ${secret} url ${encodeURIComponent(secret)} json ${JSON.stringify(secret)}`;
    const out = redactBody(body, [new Secret(secret)]);
    expect(out).not.toContain('a/b+c');
    expect(out).not.toContain(encodeURIComponent(secret));
  });

  it('blanks credential fields in JSON, including numbers and escaped nested JSON', () => {
    const body = JSON.stringify({
      s: 'ok',
      code: 200,
      access_token: 'AT-1',
      refresh_token: 'RT-1',
      id_token: 'ID-1',
      token: 'T-1',
      accessToken: 'AT-2',
      jwt: 'J-1',
      sid: 'S-1',
      checksum: 'C-1',
      pin: 1234,
      mpin: '654321',
      totp: '123456',
      appIdHash: 'H-1',
      message: 'kept',
      nested: JSON.stringify({ error: 'refresh_token_authentication_error', refresh_token: 'RT-NESTED' }),
    });
    const out = redactBody(body, []);
    for (const leaked of ['AT-1', 'RT-1', 'ID-1', 'T-1', 'AT-2', 'J-1', 'S-1', 'C-1', '1234', '654321', '123456', 'H-1', 'RT-NESTED']) {
      expect(out).not.toContain(leaked);
    }
    expect(out).toContain('"message":"kept"');
    expect(out).toContain('"code":200');
    expect(out).toContain('refresh_token_authentication_error');
    expect(out).toContain('"pin":"[redacted]"');
  });

  it('blanks form fields, URL queries, auth schemes, JWTs and long opaque runs', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    const out = redactBody(
      `grant_type=refresh_token&refresh_token=RTX&pin=9999 see https://h.example/cb?code=abc&state=s Bearer BTK ${jwt} ${'f'.repeat(64)}`,
    );
    expect(out).toBe(
      'grant_type=refresh_token&refresh_token=[redacted]&pin=[redacted] see https://h.example/cb?[redacted] Bearer [redacted] [redacted] [redacted]',
    );
  });

  it('truncates after redacting', () => {
    const out = redactBody('x'.repeat(10) + ' ' + 'y '.repeat(3000));
    expect(out.length).toBeLessThan(2100);
    expect(out).toMatch(/… \[truncated \d+ characters\]$/);
    expect(redactBody('short')).toBe('short');
  });
});

describe('redactMessage', () => {
  it('keeps words, removes secrets and queries', () => {
    expect(redactMessage('Invalid token provided for https://x.example/a?pin=1 by s3cr3t', ['s3cr3t'])).toBe(
      'Invalid token provided for https://x.example/a?[redacted] by [redacted]',
    );
  });
});

describe('isSensitiveFieldName', () => {
  it.each(['access_token', 'refreshToken', 'enctoken', 'Authorization', 'Auth', 'access-token', 'sid', 'appIdHash', 'api_secret', 'MPIN'])(
    '%s is sensitive',
    (name) => expect(isSensitiveFieldName(name)).toBe(true),
  );
  it.each(['code', 'message', 's', 'status', 'expires_in', 'dhanClientId', 'tokenValidity'])('%s is not', (name) =>
    expect(isSensitiveFieldName(name)).toBe(false),
  );
});
