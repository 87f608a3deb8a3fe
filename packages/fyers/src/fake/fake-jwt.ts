import { createHmac, randomBytes, randomUUID } from 'node:crypto';

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
// The audience list seen in decoded public FYERS access tokens.
const AUDIENCE = ['d:1', 'd:2', 'x:0', 'x:1', 'x:2'];

/** Signs real-looking HS256 JWTs with a key that never leaves the fake. */
export function createJwtMinter() {
  const key = randomBytes(32);
  const sign = (payload: Record<string, unknown>): string => {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    const signature = createHmac('sha256', key).update(`${HEADER}.${body}`).digest('base64url');
    return `${HEADER}.${body}.${signature}`;
  };
  const common = (fyId: string) => ({
    display_name: '',
    oms: 'K1',
    hsm_key: randomBytes(20).toString('hex'),
    isDdpiEnabled: 'N',
    isMtfEnabled: 'N',
    fy_id: fyId,
    appType: 100,
    poa_flag: 'N',
  });
  return {
    /** `iss: api.fyers.in`, `sub: access_token`; seconds-precision `iat`/`exp` like the real ones. */
    accessToken(o: { iat: number; exp: number; fyId: string }): string {
      return sign({ iss: 'api.fyers.in', iat: o.iat, exp: o.exp, nbf: o.iat, aud: AUDIENCE, sub: 'access_token', at_hash: randomUUID(), ...common(o.fyId) });
    },
    refreshToken(o: { iat: number; exp: number; fyId: string }): string {
      return sign({ iss: 'api.fyers.in', iat: o.iat, exp: o.exp, nbf: o.iat, aud: AUDIENCE, sub: 'refresh_token', at_hash: randomUUID(), ...common(o.fyId) });
    },
    /** `iss: api.login.fyers.in`, `sub: auth_code`; `app_id` without the type suffix. */
    authCode(o: { iat: number; exp: number; fyId: string; appId: string }): string {
      return sign({
        iss: 'api.login.fyers.in',
        iat: o.iat,
        exp: o.exp,
        nbf: o.iat,
        aud: '[d:1, d:2, x:0, x:1, x:2]',
        sub: 'auth_code',
        nonce: '',
        app_id: o.appId.replace(/-\d+$/, ''),
        uuid: randomUUID().replaceAll('-', ''),
        ipAddr: '127.0.0.1',
        scope: '',
        ...common(o.fyId),
      });
    },
  };
}

export type JwtMinter = ReturnType<typeof createJwtMinter>;
