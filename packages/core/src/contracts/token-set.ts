import type { SecretValue } from './secret';

/**
 * One broker session. Times are epoch milliseconds; time zones exist only at the edges.
 * Token values are {@link SecretValue}s so a logged or serialised TokenSet never leaks.
 */
export interface TokenSetV1 {
  accessToken: SecretValue;
  refreshToken?: SecretValue;
  /** When the access token dies. */
  expiresAt: number;
  /** When renewal stops working and a human must log in again (e.g. Schwab login + 7 days). */
  refreshExpiresAt?: number;
  /** When this token set was minted. */
  issuedAt: number;
  /** e.g. "Bearer". */
  tokenType?: string;
  /** Public broker extras consumers need (base URL, user id, public token). */
  extras?: Record<string, string>;
  /** Secret broker extras (sid, id token, view token). Redacted like the tokens. */
  secretExtras?: Record<string, SecretValue>;
}

/** A token set as held by a store: versioned for compare-and-set. */
export interface StoredTokenV1 {
  accountId: string;
  broker: string;
  /** Starts at 1 and grows by one on every successful put. */
  version: number;
  tokenSet: TokenSetV1;
  /** Epoch ms of the write. */
  updatedAt: number;
  /** Highest fencing token the store has accepted for this account, if any. */
  fencingToken?: number;
}
