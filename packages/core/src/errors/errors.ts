import { scrubText } from '../secret';
import { errorMarker, TokensError } from './tokens-error';

const brokerApi = errorMarker('BrokerApiError');
const network = errorMarker('NetworkError');
const loginRequired = errorMarker('LoginRequiredError');
const invalidCredentials = errorMarker('InvalidCredentialsError');
const invalidInput = errorMarker('InvalidInputError');
const invalidConfig = errorMarker('InvalidConfigError');
const storeConflict = errorMarker('StoreConflictError');
const storeCorrupt = errorMarker('StoreCorruptionError');
const lockTimeout = errorMarker('LockTimeoutError');
const unavailable = errorMarker('TokenUnavailableError');

/** HTTP statuses worth retrying: timeouts, conflicts, throttling and server errors. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}

export interface BrokerApiErrorOptions {
  message: string;
  broker: string;
  statusCode?: number;
  /** Parsed `Retry-After`, in milliseconds. */
  retryAfterMs?: number;
  /** Response body with secrets removed (use `redactBody`). Never the raw body. */
  responseBody?: string;
  /** The broker's own error code, e.g. FYERS -16 or Dhan DH-901. */
  brokerCode?: string | number;
  /** The broker rejected the credentials of this call (401/403 and equivalents). */
  isAuthError?: boolean;
  isRetryable?: boolean;
  needsHuman?: boolean;
  cause?: unknown;
}

/** A broker answered with an error. */
export class BrokerApiError extends TokensError {
  private readonly [brokerApi.symbol] = true;
  readonly broker: string;
  readonly statusCode?: number;
  readonly retryAfterMs?: number;
  readonly responseBody?: string;
  readonly brokerCode?: string | number;
  readonly isAuthError: boolean;

  constructor(o: BrokerApiErrorOptions) {
    super({
      message: o.message,
      code: 'BROKER_API_ERROR',
      isRetryable: o.isRetryable ?? (o.statusCode !== undefined && isRetryableStatus(o.statusCode)),
      needsHuman: o.needsHuman ?? false,
      cause: o.cause,
    });
    this.name = 'BrokerApiError';
    this.broker = o.broker;
    this.statusCode = o.statusCode;
    this.retryAfterMs = o.retryAfterMs;
    this.responseBody = o.responseBody;
    this.brokerCode = o.brokerCode;
    this.isAuthError = o.isAuthError ?? (o.statusCode === 401 || o.statusCode === 403);
  }

  static override isInstance(error: unknown): error is BrokerApiError {
    return TokensError.hasMarker(error, brokerApi.marker);
  }

  override toJSON() {
    return { ...super.toJSON(), broker: this.broker, statusCode: this.statusCode, brokerCode: this.brokerCode };
  }
}

/** The broker could not be reached (DNS, reset, timeout). Always retryable. */
export class NetworkError extends TokensError {
  private readonly [network.symbol] = true;
  readonly broker?: string;
  constructor(o: { message: string; broker?: string; cause?: unknown }) {
    super({ message: o.message, code: 'NETWORK_ERROR', isRetryable: true, cause: o.cause });
    this.name = 'NetworkError';
    this.broker = o.broker;
  }
  static override isInstance(error: unknown): error is NetworkError {
    return TokensError.hasMarker(error, network.marker);
  }
}

/** Only a browser login by a human can renew this session (refresh token dead, daily login). */
export class LoginRequiredError extends TokensError {
  private readonly [loginRequired.symbol] = true;
  readonly broker?: string;
  constructor(o: { message: string; broker?: string; cause?: unknown }) {
    super({ message: o.message, code: 'LOGIN_REQUIRED', needsHuman: true, cause: o.cause });
    this.name = 'LoginRequiredError';
    this.broker = o.broker;
  }
  static override isInstance(error: unknown): error is LoginRequiredError {
    return TokensError.hasMarker(error, loginRequired.marker);
  }
}

/** The configured credentials are wrong (secret, PIN, MPIN, TOTP seed). Retrying cannot help. */
export class InvalidCredentialsError extends TokensError {
  private readonly [invalidCredentials.symbol] = true;
  readonly broker?: string;
  constructor(o: { message: string; broker?: string; cause?: unknown }) {
    super({ message: o.message, code: 'INVALID_CREDENTIALS', needsHuman: true, cause: o.cause });
    this.name = 'InvalidCredentialsError';
    this.broker = o.broker;
  }
  static override isInstance(error: unknown): error is InvalidCredentialsError {
    return TokensError.hasMarker(error, invalidCredentials.marker);
  }
}

/** Bad input from a caller: an account id, a pasted URL, a malformed token set. */
export class InvalidInputError extends TokensError {
  private readonly [invalidInput.symbol] = true;
  readonly field?: string;
  constructor(o: { message: string; field?: string; code?: string; cause?: unknown }) {
    super({ message: o.message, code: o.code ?? 'INVALID_INPUT', cause: o.cause });
    this.name = 'InvalidInputError';
    this.field = o.field;
  }
  static override isInstance(error: unknown): error is InvalidInputError {
    return TokensError.hasMarker(error, invalidInput.marker);
  }
}

export interface ConfigIssue {
  /** Dotted path of the offending field, e.g. `accounts[2].broker`. */
  path: string;
  message: string;
}

/** Configuration is invalid. Names every offending field and how to fix it. */
export class InvalidConfigError extends TokensError {
  private readonly [invalidConfig.symbol] = true;
  readonly issues: ConfigIssue[];
  constructor(o: { message?: string; issues: ConfigIssue[]; cause?: unknown }) {
    const text = o.message ?? `Invalid configuration:\n${o.issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`;
    super({ message: text, code: 'INVALID_CONFIG', needsHuman: true, cause: o.cause });
    this.name = 'InvalidConfigError';
    this.issues = o.issues;
  }
  static override isInstance(error: unknown): error is InvalidConfigError {
    return TokensError.hasMarker(error, invalidConfig.marker);
  }
}

/** A compare-and-set or fencing check failed: someone else wrote first. Nothing was written. */
export class StoreConflictError extends TokensError {
  private readonly [storeConflict.symbol] = true;
  readonly accountId: string;
  readonly expectedVersion?: number;
  readonly actualVersion?: number;
  constructor(o: { accountId: string; expectedVersion?: number; actualVersion?: number; message?: string }) {
    super({
      message:
        o.message ??
        `Store conflict for account "${o.accountId}": expected version ${o.expectedVersion}, found ${o.actualVersion ?? 'none'}.`,
      code: 'STORE_CONFLICT',
      isRetryable: true,
    });
    this.name = 'StoreConflictError';
    this.accountId = o.accountId;
    this.expectedVersion = o.expectedVersion;
    this.actualVersion = o.actualVersion;
  }
  static override isInstance(error: unknown): error is StoreConflictError {
    return TokensError.hasMarker(error, storeConflict.marker);
  }
}

/** A stored record could not be read (bad JSON, bad shape, wrong key). It was quarantined, not overwritten. */
export class StoreCorruptionError extends TokensError {
  private readonly [storeCorrupt.symbol] = true;
  readonly accountId: string;
  /** Where the unreadable file was moved, when it was moved. */
  readonly quarantinedTo?: string;
  constructor(o: { accountId: string; message: string; quarantinedTo?: string; code?: string; cause?: unknown }) {
    super({ message: o.message, code: o.code ?? 'STORE_CORRUPT', needsHuman: true, cause: o.cause });
    this.name = 'StoreCorruptionError';
    this.accountId = o.accountId;
    this.quarantinedTo = o.quarantinedTo;
  }
  static override isInstance(error: unknown): error is StoreCorruptionError {
    return TokensError.hasMarker(error, storeCorrupt.marker);
  }
}

/** The lock could not be acquired in time. */
export class LockTimeoutError extends TokensError {
  private readonly [lockTimeout.symbol] = true;
  readonly accountId: string;
  constructor(o: { accountId: string; waitedMs: number }) {
    super({
      message: `Timed out after ${o.waitedMs} ms waiting for the lock of account "${o.accountId}".`,
      code: 'LOCK_TIMEOUT',
      isRetryable: true,
    });
    this.name = 'LockTimeoutError';
    this.accountId = o.accountId;
  }
  static override isInstance(error: unknown): error is LockTimeoutError {
    return TokensError.hasMarker(error, lockTimeout.marker);
  }
}

/** No valid token can be handed out for an account right now. */
export class TokenUnavailableError extends TokensError {
  private readonly [unavailable.symbol] = true;
  readonly accountId: string;
  readonly state?: string;
  constructor(o: { accountId: string; message: string; state?: string; code?: string; needsHuman?: boolean; isRetryable?: boolean; cause?: unknown }) {
    super({
      message: o.message,
      code: o.code ?? 'TOKEN_UNAVAILABLE',
      needsHuman: o.needsHuman ?? false,
      isRetryable: o.isRetryable ?? false,
      cause: o.cause,
    });
    this.name = 'TokenUnavailableError';
    this.accountId = o.accountId;
    this.state = o.state;
  }
  static override isInstance(error: unknown): error is TokenUnavailableError {
    return TokensError.hasMarker(error, unavailable.marker);
  }
}

/** Wraps anything an adapter, store or sink threw that was not a TokensError. */
export function toTokensError(error: unknown, fallbackCode: string = 'ADAPTER_ERROR'): TokensError {
  if (TokensError.isInstance(error)) return error;
  if (error instanceof Error && error.name === 'AbortError') {
    return new TokensError({ message: 'The operation was aborted.', code: 'ABORTED', isRetryable: true, cause: error });
  }
  // Foreign messages may embed URLs with credentials in the query string: scrub them.
  const text = error instanceof Error ? `${error.name}: ${scrubText(error.message)}` : 'non-error value thrown';
  return new TokensError({ message: `Unexpected failure (${text}).`, code: fallbackCode, isRetryable: false, cause: error });
}
