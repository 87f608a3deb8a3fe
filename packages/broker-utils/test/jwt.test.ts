import { InvalidInputError, Secret } from '@tokens/core';
import { describe, expect, it } from 'vitest';
import { decodeJwtPayload, jwtExpiresAt, jwtIssuedAt } from '../src';

function jwt(payload: unknown): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(payload)}.c2lnbmF0dXJl`;
}

describe('JWT helpers (no signature verification)', () => {
  it('decodes the payload and reads exp/iat in epoch ms', () => {
    const token = jwt({ iss: 'api.fyers.in', sub: 'access_token', iat: 1_763_780_400, exp: 1_763_857_800, 'ü': 'ß' });
    expect(decodeJwtPayload(token)).toMatchObject({ iss: 'api.fyers.in', 'ü': 'ß' });
    expect(jwtExpiresAt(token)).toBe(1_763_857_800_000);
    expect(jwtIssuedAt(new Secret(token))).toBe(1_763_780_400_000);
  });

  it('returns undefined when exp is absent', () => {
    expect(jwtExpiresAt(jwt({ sub: 'x' }))).toBeUndefined();
  });

  it.each([
    ['not-a-jwt-SECRETPART', 'three dot-separated parts'],
    ['a.b', 'three dot-separated parts'],
    ['a.@@@SECRETPART.c', 'not base64url'],
    [`a.${Buffer.from('SECRETPART not json').toString('base64url')}.c`, 'not JSON'],
    [`a.${Buffer.from('[1,2]').toString('base64url')}.c`, 'not a JSON object'],
    [jwt({ exp: 'SECRETPART' }), 'not a number'],
  ])('malformed %# → InvalidInputError without the token', (token, reason) => {
    let error: unknown;
    try {
      jwtExpiresAt(token);
    } catch (e) {
      error = e;
    }
    expect(InvalidInputError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(reason);
    expect((error as Error).message).not.toContain('SECRETPART');
    expect((error as Error).message).not.toContain(token);
  });
});
