import { TokensClientError } from './errors';
import type { ClientToken } from './types';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

function redacted(t: ClientToken): Record<string, unknown> {
  const out: Record<string, unknown> = { account: t.account, version: t.version, expiresAt: t.expiresAt, accessToken: '[redacted]' };
  if (t.broker !== undefined) out.broker = t.broker;
  if (t.issuedAt !== undefined) out.issuedAt = t.issuedAt;
  if (t.tokenType !== undefined) out.tokenType = t.tokenType;
  if (t.extras !== undefined) out.extras = t.extras;
  if (t.secretExtras !== undefined) out.secretExtras = Object.fromEntries(Object.keys(t.secretExtras).map((k) => [k, '[redacted]']));
  if (t.refreshToken !== undefined) out.refreshToken = '[redacted]';
  return out;
}

/** A frozen token whose JSON and inspect forms hide the secrets. */
function seal(t: ClientToken): ClientToken {
  Object.defineProperty(t, 'toJSON', { value: () => redacted(t), enumerable: false });
  Object.defineProperty(t, INSPECT, { value: () => redacted(t), enumerable: false });
  return Object.freeze(t);
}

const bad = (account: string, what: string) =>
  new TokensClientError({ code: 'BAD_RESPONSE', message: `The daemon's answer for "${account}" is not a token (${what}).`, isRetryable: true, account });

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringRecord(v: unknown): Record<string, string> | undefined {
  if (!isRecord(v)) return undefined;
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** `GET /v1/accounts/:id/token` → ClientToken (expiresAt in ms). */
export function tokenFromHttp(account: string, body: unknown, keepRefresh: boolean): ClientToken {
  if (!isRecord(body)) throw bad(account, 'not an object');
  const { accessToken, expiresAt, version } = body;
  if (typeof accessToken !== 'string' || accessToken === '') throw bad(account, 'no accessToken');
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) throw bad(account, 'no expiresAt');
  const t: { -readonly [K in keyof ClientToken]: ClientToken[K] } = {
    account,
    version: typeof version === 'number' ? version : 0,
    accessToken,
    expiresAt,
  };
  if (typeof body.broker === 'string') t.broker = body.broker;
  if (typeof body.issuedAt === 'number') t.issuedAt = body.issuedAt;
  if (typeof body.tokenType === 'string') t.tokenType = body.tokenType;
  if (isRecord(body.extras)) t.extras = body.extras;
  const secretExtras = stringRecord(body.secretExtras);
  if (secretExtras) t.secretExtras = secretExtras;
  if (keepRefresh && typeof body.refreshToken === 'string') t.refreshToken = body.refreshToken;
  return seal(t);
}

/** A socket `get` answer or `token` event → ClientToken (`expires_at` is Unix seconds). */
export function tokenFromSocket(fallbackAccount: string | undefined, msg: Record<string, unknown>, keepRefresh: boolean): ClientToken {
  const account = typeof msg.account === 'string' ? msg.account : fallbackAccount;
  if (account === undefined) throw bad('?', 'no account');
  const { access_token: accessToken, expires_at: expiresAt, version } = msg;
  if (typeof accessToken !== 'string' || accessToken === '') throw bad(account, 'no access_token');
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) throw bad(account, 'no expires_at');
  const t: { -readonly [K in keyof ClientToken]: ClientToken[K] } = {
    account,
    version: typeof version === 'number' ? version : 0,
    accessToken,
    expiresAt: expiresAt * 1000,
  };
  if (typeof msg.broker === 'string') t.broker = msg.broker;
  if (isRecord(msg.extras)) t.extras = msg.extras;
  const secretExtras = stringRecord(msg.secret_extras);
  if (secretExtras) t.secretExtras = secretExtras;
  if (keepRefresh && typeof msg.refresh_token === 'string') t.refreshToken = msg.refresh_token;
  return seal(t);
}

/**
 * 401/403 from a broker, in the shapes common HTTP clients and SDKs use (fetch Response-like
 * `status`, axios `response.status`, `statusCode`, kiteconnect's `TokenException`, or
 * `isAuthError: true`). Same rule as `@tokens/core`'s `isAuthError`, plus kiteconnect's
 * error type.
 */
export function isAuthError(error: unknown): boolean {
  if (error == null || typeof error !== 'object') return false;
  const e = error as Record<string, unknown> & { response?: { status?: unknown } };
  if (e.isAuthError === true) return true;
  if (e.error_type === 'TokenException') return true;
  const status = e.statusCode ?? e.status ?? e.response?.status;
  return status === 401 || status === 403;
}
