import { createHash, timingSafeEqual } from 'node:crypto';
import { Secret } from '@tokens/core';
import { revealInput, type SecretInput } from './secret-input';

/** Lower-case hex SHA-256 of the concatenated parts (UTF-8). */
export function sha256Hex(...parts: SecretInput[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(revealInput(part), 'utf8');
  return hash.digest('hex');
}

/**
 * FYERS `appIdHash` = sha256_hex(appId + ":" + appSecret), with the full app id including its
 * "-100" suffix. A stable bearer-equivalent of the app secret, so it comes back as a `Secret`.
 */
export function fyersAppIdHash(appId: string, appSecret: SecretInput): Secret {
  return new Secret(sha256Hex(appId, ':', appSecret));
}

/**
 * Kite Connect `checksum` = sha256_hex(api_key + request_token_or_refresh_token + api_secret),
 * plain concatenation, for `POST /session/token` and `/session/refresh_token`.
 */
export function kiteChecksum(apiKey: string, tokenOrRequestToken: SecretInput, apiSecret: SecretInput): Secret {
  return new Secret(sha256Hex(apiKey, tokenOrRequestToken, apiSecret));
}

/** An HTTP Basic `Authorization` value, "Basic base64(user:pass)" (Schwab's token endpoint). */
export function basicAuth(user: SecretInput, pass: SecretInput): Secret {
  const encoded = Buffer.from(`${revealInput(user)}:${revealInput(pass)}`, 'utf8').toString('base64');
  return new Secret(`Basic ${encoded}`);
}

/**
 * Compares two secrets in constant time (both sides are hashed first, so lengths leak nothing).
 */
export function safeEqual(a: SecretInput, b: SecretInput): boolean {
  const ha = createHash('sha256').update(revealInput(a), 'utf8').digest();
  const hb = createHash('sha256').update(revealInput(b), 'utf8').digest();
  return timingSafeEqual(ha, hb);
}
