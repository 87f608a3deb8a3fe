/**
 * Why a token could not be had. `code` is stable (switch on it); `isRetryable` says whether
 * trying again later can help (the daemon is down or busy) or a human must act (wrong API token,
 * unknown account, a broker login is required).
 */
export type TokensClientErrorCode =
  /** Nothing answers at the daemon's URL or socket (refused, reset, socket file missing). */
  | 'DAEMON_UNAVAILABLE'
  /** The daemon did not answer within `requestTimeoutMs`. */
  | 'TIMEOUT'
  /** The daemon refused the API token. */
  | 'UNAUTHORIZED'
  /** The daemon answered something that is not its protocol (not JSON, wrong shape). */
  | 'BAD_RESPONSE'
  /** `invalidate()` found no token newer than the rejected one in time. */
  | 'NO_NEWER_TOKEN'
  /** The client was closed. */
  | 'CLOSED'
  /** Any code the daemon sent (UNKNOWN_ACCOUNT, LOGIN_REQUIRED, TOKEN_UNAVAILABLE, ...). */
  | (string & {});

export interface TokensClientErrorOptions {
  code: TokensClientErrorCode;
  message: string;
  isRetryable: boolean;
  needsHuman?: boolean;
  account?: string;
  /** HTTP status when the daemon answered over HTTP. */
  status?: number;
  cause?: unknown;
}

const BRAND = Symbol.for('@tokens/client/TokensClientError');

/** The one error class the client throws. Never carries a token. */
export class TokensClientError extends Error {
  override readonly name = 'TokensClientError';
  readonly code: TokensClientErrorCode;
  /** True when the same call may succeed later without anyone changing anything. */
  readonly isRetryable: boolean;
  /** True when a human must act (log in to the broker, fix the API token or account id). */
  readonly needsHuman: boolean;
  readonly account?: string;
  readonly status?: number;

  constructor(o: TokensClientErrorOptions) {
    super(o.message, o.cause === undefined ? undefined : { cause: o.cause });
    this.code = o.code;
    this.isRetryable = o.isRetryable;
    this.needsHuman = o.needsHuman ?? false;
    if (o.account !== undefined) this.account = o.account;
    if (o.status !== undefined) this.status = o.status;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** Works across copies of the package (ESM and CJS builds, two installs). */
  static isInstance(error: unknown): error is TokensClientError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
  }

  /** The same error for a given account (adds the account to the message once). */
  withAccount(account: string): TokensClientError {
    if (this.account !== undefined) return this;
    return new TokensClientError({
      code: this.code,
      message: this.message,
      isRetryable: this.isRetryable,
      needsHuman: this.needsHuman,
      account,
      ...(this.status !== undefined ? { status: this.status } : {}),
      ...(this.cause !== undefined ? { cause: this.cause } : {}),
    });
  }
}

/** A short, secret-free description of a low-level failure (errno code or message). */
export function describeCause(error: unknown): string {
  if (error === null || typeof error !== 'object') return String(error);
  const e = error as { code?: unknown; message?: unknown; cause?: unknown; name?: unknown };
  const inner = e.cause && typeof e.cause === 'object' ? (e.cause as { code?: unknown; message?: unknown }) : undefined;
  if (typeof inner?.code === 'string') return inner.code;
  if (typeof e.code === 'string') return e.code;
  if (typeof inner?.message === 'string') return inner.message;
  if (typeof e.message === 'string') return e.message;
  return typeof e.name === 'string' ? e.name : 'unknown error';
}

export const closedError = () => new TokensClientError({ code: 'CLOSED', message: 'This tokens client was closed.', isRetryable: false });

/** `error` as a TokensClientError (anything else is an INTERNAL, retryable failure). */
export const toClientError = (error: unknown): TokensClientError =>
  TokensClientError.isInstance(error)
    ? error
    : new TokensClientError({ code: 'INTERNAL', message: `Unexpected client failure (${describeCause(error)}).`, isRetryable: true, cause: error });
