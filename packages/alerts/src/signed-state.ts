import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidConfigError } from '@tokens/core';
import { revealInput, type SecretInput } from '@tokens/broker-utils';

/** What a signed state carries. Nothing in it is secret; the signature makes it unforgeable. */
export interface StateClaims {
  /** What the state is for, so a login link cannot be replayed as an OAuth `state` and back. */
  purpose: string;
  accountId: string;
  /** Epoch ms after which the state is refused. */
  expiresAt: number;
  /** Random, unique per state: the key for single use. */
  nonce: string;
}

export type StateCheck =
  | ({ ok: true } & StateClaims)
  | {
      ok: false;
      /** `tampered`: unreadable, forged, altered or minted for another purpose; `wrong-account`: signed for another account; `expired`: too old. */
      reason: 'tampered' | 'wrong-account' | 'expired';
    };

const VERSION = 'v1';
// Real states are ~150 characters; anything far longer is junk and is not parsed.
const MAX_STATE_LENGTH = 1024;
/** Shortest secret accepted for signing states. */
export const MIN_STATE_SECRET_LENGTH = 32;

/** Throws `InvalidConfigError` (naming `path`) unless the secret is long enough to sign with. */
export function assertStateSecret(secret: SecretInput | undefined, path = 'secret'): void {
  if (secret === undefined || revealInput(secret).length < MIN_STATE_SECRET_LENGTH) {
    throw new InvalidConfigError({
      issues: [{ path, message: `must be at least ${MIN_STATE_SECRET_LENGTH} characters; generate one with \`openssl rand -hex 32\`` }],
    });
  }
}

function mac(secret: SecretInput, data: string): Buffer {
  return createHmac('sha256', revealInput(secret)).update(data, 'utf8').digest();
}

/**
 * Signs claims into a URL-safe string: `v1.<base64url JSON>.<base64url HMAC-SHA256>`.
 * Use it for the OAuth `state` parameter and the login links' `s` parameter.
 */
export function signState(o: {
  secret: SecretInput;
  accountId: string;
  expiresAt: number;
  /** Default "oauth". */
  purpose?: string;
  /** Default: 16 random bytes. */
  nonce?: string;
}): string {
  assertStateSecret(o.secret);
  const claims = { p: o.purpose ?? 'oauth', a: o.accountId, e: Math.floor(o.expiresAt), n: o.nonce ?? randomBytes(16).toString('base64url') };
  const body = `${VERSION}.${Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url')}`;
  return `${body}.${mac(o.secret, body).toString('base64url')}`;
}

/**
 * Checks a state made by `signState`: the signature (constant-time), the purpose, the account
 * (when given) and the expiry, in that order. Single use is the caller's job (see
 * `createLoginLinks`), because it needs shared storage.
 */
export function verifyState(o: {
  secret: SecretInput;
  state: string | null | undefined;
  /** Epoch ms. */
  now: number;
  /** Default "oauth". */
  purpose?: string;
  /** When set, a state signed for another account fails with `wrong-account`. */
  accountId?: string;
}): StateCheck {
  const tampered = { ok: false, reason: 'tampered' } as const;
  const state = o.state ?? '';
  if (state.length === 0 || state.length > MAX_STATE_LENGTH) return tampered;
  const parts = state.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION) return tampered;
  // Compared as text: base64url decoding ignores stray bits, so two spellings could decode alike.
  const given = Buffer.from(parts[2]!, 'utf8');
  const expected = Buffer.from(mac(o.secret, `${parts[0]}.${parts[1]}`).toString('base64url'), 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return tampered;

  let claims: { p?: unknown; a?: unknown; e?: unknown; n?: unknown };
  try {
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as typeof claims;
  } catch {
    return tampered;
  }
  const { p, a, e, n } = claims;
  if (typeof p !== 'string' || typeof a !== 'string' || typeof e !== 'number' || typeof n !== 'string') return tampered;
  if (p !== (o.purpose ?? 'oauth')) return tampered;
  if (o.accountId !== undefined && a !== o.accountId) return { ok: false, reason: 'wrong-account' };
  if (o.now >= e) return { ok: false, reason: 'expired' };
  return { ok: true, purpose: p, accountId: a, expiresAt: e, nonce: n };
}
