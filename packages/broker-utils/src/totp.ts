import { InvalidInputError, Secret } from '@tokens/core';
import { Secret as OtpSecret, TOTP } from 'otpauth';
import { revealInput, type SecretInput } from './secret-input';

export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

export interface GenerateTotpOptions {
  /** The base32 setup key the broker showed (spaces, dashes, lower case and `=` padding are fine). */
  secret: SecretInput;
  /** Epoch ms, from the injected clock. */
  now: number;
  /** Default 6. */
  digits?: number;
  /** Seconds per code. Default 30. */
  period?: number;
  /** Default 'SHA1' (what every broker uses). */
  algorithm?: TotpAlgorithm;
}

function invalid(message: string, field: string): InvalidInputError {
  return new InvalidInputError({ message, field, code: 'INVALID_TOTP_SECRET' });
}

/**
 * An RFC 6238 time-based one-time password, as an authenticator app would show it at `now`.
 * Returned as a `Secret` (it is a credential for 30 s); `reveal()` gives the digits. Throws
 * `InvalidInputError` for a setup key that is not base32, without echoing the key.
 */
export function generateTotp(options: GenerateTotpOptions): Secret {
  const { now, digits = 6, period = 30, algorithm = 'SHA1' } = options;
  if (!Number.isFinite(now)) throw invalid('`now` must be a finite epoch-milliseconds number.', 'now');
  if (!Number.isInteger(digits) || digits < 6 || digits > 10) throw invalid('TOTP `digits` must be an integer from 6 to 10.', 'digits');
  if (!Number.isInteger(period) || period < 1) throw invalid('TOTP `period` must be a positive whole number of seconds.', 'period');
  if (algorithm !== 'SHA1' && algorithm !== 'SHA256' && algorithm !== 'SHA512') {
    throw invalid('TOTP `algorithm` must be SHA1, SHA256 or SHA512.', 'algorithm');
  }
  const base32 = revealInput(options.secret).replace(/[\s-]/g, '').replace(/=+$/, '').toUpperCase();
  if (base32.length === 0 || !/^[A-Z2-7]+$/.test(base32)) {
    throw invalid('TOTP secret is not valid base32; copy the setup key shown by the broker.', 'totpSecret');
  }
  let key: OtpSecret;
  try {
    key = OtpSecret.fromBase32(base32);
  } catch {
    throw invalid('TOTP secret is not valid base32; copy the setup key shown by the broker.', 'totpSecret');
  }
  const code = TOTP.generate({ secret: key, algorithm, digits, period, timestamp: now });
  return new Secret(code);
}

/** Milliseconds until the code valid at `now` rolls over; wait when it is about to (say < 3 s). */
export function totpTimeRemainingMs(now: number, period = 30): number {
  const periodMs = period * 1000;
  return periodMs - (((now % periodMs) + periodMs) % periodMs);
}
