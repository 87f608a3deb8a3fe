const marker = 'tokens.error';
const symbol = Symbol.for(marker);

/** Stable error codes. Dashboards, alerts and retries key on these, never on message text. */
export type TokensErrorCode =
  | 'BROKER_API_ERROR'
  | 'NETWORK_ERROR'
  | 'LOGIN_REQUIRED'
  | 'INVALID_CREDENTIALS'
  | 'INVALID_INPUT'
  | 'INVALID_CONFIG'
  | 'INVALID_ACCOUNT_ID'
  | 'INVALID_TOKEN_SET'
  | 'STORE_CONFLICT'
  | 'STORE_CORRUPT'
  | 'STORE_KEY'
  | 'STORE_ERROR'
  | 'LOCK_TIMEOUT'
  | 'TOKEN_UNAVAILABLE'
  | 'UNKNOWN_ACCOUNT'
  | 'ADAPTER_ERROR'
  | 'ABORTED'
  | (string & {});

export interface TokensErrorOptions {
  message: string;
  code: TokensErrorCode;
  isRetryable?: boolean;
  needsHuman?: boolean;
  cause?: unknown;
}

/**
 * Base of every error `tokens` throws. Recognise it with `TokensError.isInstance(err)`, which
 * keeps working when two copies of the package are installed (a `Symbol.for` marker, not
 * `instanceof`).
 */
export class TokensError extends Error {
  private readonly [symbol] = true;
  readonly code: TokensErrorCode;
  /** The engine retries only when this is true. */
  readonly isRetryable: boolean;
  /** Only a human can fix this (log in, fix credentials). */
  readonly needsHuman: boolean;

  constructor({ message, code, isRetryable = false, needsHuman = false, cause }: TokensErrorOptions) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'TokensError';
    this.code = code;
    this.isRetryable = isRetryable;
    this.needsHuman = needsHuman;
  }

  static isInstance(error: unknown): error is TokensError {
    return TokensError.hasMarker(error, marker);
  }

  protected static hasMarker(error: unknown, name: string): boolean {
    const key = Symbol.for(name);
    return error != null && typeof error === 'object' && key in error && (error as Record<symbol, unknown>)[key] === true;
  }

  /** A log- and API-safe view: no cause chain, no request or response objects. */
  toJSON(): { name: string; code: string; message: string; isRetryable: boolean; needsHuman: boolean } {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      isRetryable: this.isRetryable,
      needsHuman: this.needsHuman,
    };
  }
}

/** Builds the marker pair for a subclass so `isInstance` works per class across installs. */
export function errorMarker(name: string): { marker: string; symbol: symbol } {
  const m = `tokens.error.${name}`;
  return { marker: m, symbol: Symbol.for(m) };
}
