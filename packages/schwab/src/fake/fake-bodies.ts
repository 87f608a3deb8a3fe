import { createHash, randomBytes, randomUUID } from 'node:crypto';

// Wire bodies of the real Schwab API. Tagged as in research/brokers.md §4: [OBS] bodies were seen
// on the wire; [INF] ones are our best guess where nobody has published the real text.

/** Success body of both grants [3P/OBS]; the key order is Schwab's. */
export function tokenBody(t: { accessToken: string; refreshToken: string; idToken: string; expiresIn: number }) {
  return {
    expires_in: t.expiresIn,
    token_type: 'Bearer',
    scope: 'api',
    refresh_token: t.refreshToken,
    access_token: t.accessToken,
    id_token: t.idToken,
  };
}

/** Schwab nests a second JSON document, quoted, inside `error_description`. */
function nested(innerDescription: string, innerError: string) {
  const inner = JSON.stringify({ error_description: innerDescription, error: innerError });
  return { error: 'unsupported_token_type', error_description: `400 Bad Request: "${inner}"` };
}

/** The fingerprint Schwab puts in refresh errors: a digest, never the token itself [INF format]. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('base64url').slice(0, 22);
}

/** Refresh token older than 7 days, revoked or unknown: HTTP 400 [OBS Schwabdev#40]. */
export function refreshTokenDeadBody(refreshToken: string) {
  const digest = tokenDigest(refreshToken);
  return nested(
    `Exception while authenticating refresh token [tokenDigest=${digest}, Exception=Failed refresh token authentication [tokenDigest=${digest}]]`,
    'refresh_token_authentication_error',
  );
}

/** Authorization code past its ~30 s: HTTP 400 [OBS]. Note the space before the closing quote. */
export function codeExpiredBody(expiration: number, now: number) {
  return nested(`Bad authorization code: AuthorizationCode has expired,expiration=${expiration},now=${now} `, 'invalid_request');
}

/** Unknown, already used, or issued for another redirect_uri: HTTP 400 [INF, shaped like the expired-code body]. */
export function codeInvalidBody(why: 'not found' | 'redirect_uri mismatch') {
  return nested(`Bad authorization code: AuthorizationCode ${why} `, 'invalid_request');
}

/** Wrong or missing Basic credentials: HTTP 401 [OBS go-schwab/trader#26]. */
export const invalidClientBody = { error: 'invalid_client', error_description: 'Unauthorized' };

/** OAuth-style errors for requests the real server refuses before looking at tokens [INF]. */
export function oauthErrorBody(error: string, description: string) {
  return { error, error_description: description };
}

/** Trader API error envelope [3P Schwabdev troubleshooting]; 401 is "Client not authorized". */
export function apiErrorBody(status: number, title: string, detail: string) {
  return { errors: [{ id: randomUUID(), status, title, detail }] };
}

export const unauthorizedApiBody = () => apiErrorBody(401, 'Unauthorized', 'Client not authorized');

const HOST_TAG = 'b2F1dGgyLmNkYy5zY2h3YWIuY29t'; // base64 of "oauth2.cdc.schwab.com", as in real tokens

/** Token strings shaped like Schwab's (`I0.<host>.<random>@`); codes start with `C0.` and end in "@". */
export function mintToken(kind: 'access' | 'refresh' | 'code'): string {
  const prefix = kind === 'code' ? 'C0' : kind === 'access' ? 'I0' : 'R0';
  return `${prefix}.${HOST_TAG}.${randomBytes(kind === 'code' ? 24 : 36).toString('base64url')}@`;
}

/** An OpenID id_token: a JWT with a random signature (nobody verifies it). */
export function mintIdToken(appKey: string, now: number, lifetimeSeconds: number): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const iat = Math.floor(now / 1000);
  return [
    part({ alg: 'RS256', typ: 'JWT' }),
    part({ sub: randomBytes(16).toString('hex'), aud: appKey, iss: 'https://api.schwabapi.com', iat, exp: iat + lifetimeSeconds }),
    randomBytes(64).toString('base64url'),
  ].join('.');
}
