import { createHmac, timingSafeEqual } from 'node:crypto';
import { revealInput, type SecretInput } from '@tokens/broker-utils';

/** Header with the unix time (seconds) the request was signed at. */
export const TIMESTAMP_HEADER = 'X-Tokens-Timestamp';
/** Header with `sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`. */
export const SIGNATURE_HEADER = 'X-Tokens-Signature';
/** Default window for accepting a timestamp, either side of the receiver's clock. */
export const DEFAULT_SIGNATURE_TOLERANCE_MS = 5 * 60_000;

function hmacHex(secret: SecretInput, timestamp: string, body: string | Uint8Array): string {
  const mac = createHmac('sha256', revealInput(secret));
  mac.update(`${timestamp}.`, 'utf8');
  mac.update(body);
  return mac.digest('hex');
}

/**
 * The `X-Tokens-Signature` value for a body: `sha256=` + hex HMAC-SHA256 keyed with the secret
 * over `<timestamp>.<raw body bytes>`.
 */
export function signWebhookBody(o: { secret: SecretInput; timestamp: string | number; body: string | Uint8Array }): string {
  return `sha256=${hmacHex(o.secret, String(o.timestamp), o.body)}`;
}

export type WebhookVerification =
  | { ok: true; timestamp: number }
  | {
      ok: false;
      /** `missing`: a header is absent; `malformed`: unreadable header; `stale`: timestamp outside the tolerance; `mismatch`: wrong secret or altered body. */
      reason: 'missing' | 'malformed' | 'stale' | 'mismatch';
    };

export interface VerifyWebhookSignatureOptions {
  /** The shared secret; pass several during a rotation, any one may match. */
  secret: SecretInput | readonly SecretInput[];
  /** The `X-Tokens-Timestamp` header. */
  timestamp: string | null | undefined;
  /** The raw request body, exactly as received (not re-serialised JSON). */
  body: string | Uint8Array;
  /** The `X-Tokens-Signature` header. */
  signature: string | null | undefined;
  /** Receiver's clock, epoch ms. Default `Date.now()`. */
  now?: number;
  /** Accepted clock difference either way. Default 5 minutes. */
  toleranceMs?: number;
}

/**
 * Checks a signed webhook request from `createWebhookAlertSink`: the timestamp is recent
 * (replays of old requests fail) and the signature matches, compared in constant time.
 */
export function verifyWebhookSignature(o: VerifyWebhookSignatureOptions): WebhookVerification {
  if (!o.timestamp || !o.signature) return { ok: false, reason: 'missing' };
  const timestamp = o.timestamp.trim();
  const match = /^sha256=([0-9a-f]{64})$/i.exec(o.signature.trim());
  if (!/^\d{1,12}$/.test(timestamp) || !match) return { ok: false, reason: 'malformed' };
  // The receiver is the edge: it may read the wall clock when the caller passes none.
  const now = o.now ?? Date.now();
  const tolerance = o.toleranceMs ?? DEFAULT_SIGNATURE_TOLERANCE_MS;
  if (Math.abs(now - Number(timestamp) * 1000) > tolerance) return { ok: false, reason: 'stale' };
  const given = Buffer.from(match[1]!.toLowerCase(), 'hex');
  const secrets = Array.isArray(o.secret) ? (o.secret as readonly SecretInput[]) : [o.secret as SecretInput];
  let ok = false;
  for (const secret of secrets) {
    const expected = Buffer.from(hmacHex(secret, timestamp, o.body), 'hex');
    // Every secret is checked, so timing does not reveal which one matched.
    if (timingSafeEqual(expected, given)) ok = true;
  }
  return ok ? { ok: true, timestamp: Number(timestamp) } : { ok: false, reason: 'mismatch' };
}
