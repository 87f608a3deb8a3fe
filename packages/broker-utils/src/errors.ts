import {
  BrokerApiError,
  InvalidCredentialsError,
  isRetryableStatus,
  LoginRequiredError,
} from '@tokens/core';
import type { BrokerHttpResponse } from './http-client';
import type { SecretInput } from './secret-input';

/**
 * Parses a `Retry-After` header: delay-seconds ("120") or an HTTP-date. Returns milliseconds
 * from `now` (never negative), or `undefined` when absent or unparsable.
 */
export function parseRetryAfter(headerValue: string | null | undefined, now: number): number | undefined {
  if (headerValue == null) return undefined;
  const text = headerValue.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // An HTTP-date always names a weekday or a month; this keeps Date.parse from guessing at junk.
  if (!/[a-z]{3}/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * The wait a response asks for: the non-standard `retry-after-ms` header first (milliseconds),
 * then `Retry-After`.
 */
export function retryAfterFromHeaders(headers: Headers, now: number): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms != null && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms.trim()));
  return parseRetryAfter(headers.get('retry-after'), now);
}

export type StatusClass = 'ok' | 'auth' | 'retryable' | 'client';

/**
 * A broker-independent first guess from the HTTP status alone: 2xx `ok`; 401/403 `auth`;
 * 408/409/425/429/5xx `retryable`; everything else (other 4xx, 1xx, 3xx) `client`. Brokers also
 * signal errors inside 200 bodies, so adapters check the envelope too.
 */
export function classifyStatus(status: number): StatusClass {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 401 || status === 403) return 'auth';
  if (isRetryableStatus(status)) return 'retryable';
  return 'client';
}

export interface BrokerApiErrorFromResponseOptions {
  /** Defaults to the broker the response came from. */
  broker?: string;
  response: BrokerHttpResponse;
  /** Human-readable, without secrets. Default: "<broker> answered <METHOD path> with HTTP <status>." */
  message?: string;
  /** The broker's own error code from the envelope, e.g. -16, "DH-901", "TokenException". */
  brokerCode?: string | number;
  /** Default: status is 401 or 403. */
  isAuthError?: boolean;
  /** Default false. Set when only a human can fix it (refresh token dead, daily login). */
  needsHuman?: boolean;
  /** Default: status is 408, 409, 425, 429 or 5xx. */
  isRetryable?: boolean;
  /** Values to remove from the message and body besides the request's own secrets. */
  secretValues?: readonly (SecretInput | undefined)[];
  cause?: unknown;
}

/**
 * Turns a broker's error response into a `BrokerApiError`: redacted body (≤ ~2 KB), parsed
 * `Retry-After`, retryable by default for 408/409/425/429/5xx, auth error by default for
 * 401/403. The message never contains the URL query, headers or secret values.
 */
export function brokerApiErrorFromResponse(options: BrokerApiErrorFromResponseOptions): BrokerApiError {
  const { response, brokerCode } = options;
  const broker = options.broker ?? response.broker;
  const secrets = options.secretValues ?? [];
  const codeText = brokerCode === undefined ? '' : ` (broker code ${String(brokerCode)})`;
  const message = response.redactText(
    options.message ?? `${broker} answered ${response.requestLabel} with HTTP ${response.status}${codeText}.`,
    secrets,
  );
  return new BrokerApiError({
    broker,
    message,
    statusCode: response.status,
    retryAfterMs: retryAfterFromHeaders(response.headers, response.receivedAt),
    responseBody: response.redactedBody(secrets),
    brokerCode,
    isAuthError: options.isAuthError ?? (response.status === 401 || response.status === 403),
    isRetryable: options.isRetryable ?? isRetryableStatus(response.status),
    needsHuman: options.needsHuman ?? false,
    cause: options.cause,
  });
}

/** Only a human browser login can renew this session (refresh token expired or revoked, daily login). */
export function loginRequired(broker: string, message: string, cause?: unknown): LoginRequiredError {
  return new LoginRequiredError({ broker, message, cause });
}

/** The configured credentials are wrong (app secret, PIN, MPIN, TOTP seed); retrying cannot help. */
export function invalidCredentials(broker: string, message: string, cause?: unknown): InvalidCredentialsError {
  return new InvalidCredentialsError({ broker, message, cause });
}
