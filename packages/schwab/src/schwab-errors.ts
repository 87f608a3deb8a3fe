import { BrokerApiError, InvalidCredentialsError, InvalidInputError, isRetryableStatus, LoginRequiredError, type TokensError } from '@tokens/core';
import { brokerApiErrorFromResponse, type BrokerHttpResponse } from '@tokens/broker-utils';
import { apiErrorSchema, oauthErrorSchema } from './schwab-api';

export const BROKER = 'schwab';

/** The grant a token-endpoint call used: errors mean different things for each. */
export type SchwabGrant = 'refresh_token' | 'authorization_code';

export interface SchwabOAuthError {
  /** Outer `error`, e.g. "unsupported_token_type" or "invalid_client". */
  error: string;
  description?: string;
  /** `error` of the JSON document Schwab nests inside `error_description`, e.g. "refresh_token_authentication_error". */
  innerError?: string;
  innerDescription?: string;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Reads Schwab's OAuth error body, including the second JSON document it nests in
 * `error_description`: `400 Bad Request: "{"error_description":"…","error":"refresh_token_authentication_error"}"`.
 * The outer `error` is often a misleading "unsupported_token_type"; the inner one tells the truth.
 */
export function parseSchwabOAuthError(bodyText: string): SchwabOAuthError | undefined {
  const outer = oauthErrorSchema.safeParse(safeJson(bodyText));
  if (!outer.success) return undefined;
  const result: SchwabOAuthError = { error: outer.data.error };
  const description = outer.data.error_description;
  if (description === undefined) return result;
  result.description = description;
  const start = description.indexOf('{');
  const end = description.lastIndexOf('}');
  const inner = start >= 0 && end > start ? oauthErrorSchema.partial().safeParse(safeJson(description.slice(start, end + 1))) : undefined;
  if (inner?.success) {
    if (inner.data.error) result.innerError = inner.data.error;
    if (inner.data.error_description) result.innerDescription = inner.data.error_description;
  } else {
    // Not valid JSON (quotes inside the inner description): fall back to the field we need.
    const match = /\\?"error\\?"\s*:\s*\\?"([A-Za-z0-9_.-]+)/.exec(description.slice(start >= 0 ? start : 0));
    if (match?.[1]) result.innerError = match[1];
  }
  return result;
}

/**
 * Classifies a failed `POST /v1/oauth/token`: retryable for 408/429/5xx; a dead refresh token
 * needs a human login; `invalid_client` means wrong credentials; an expired or unknown
 * authorization code is a specific input error that says what to do.
 */
export function tokenEndpointError(response: BrokerHttpResponse, grant: SchwabGrant): TokensError {
  const parsed = parseSchwabOAuthError(response.bodyText);
  const code = parsed?.innerError ?? parsed?.error;
  const api = brokerApiErrorFromResponse({
    response,
    ...(code ? { brokerCode: code } : {}),
    // A 401 here is about the app's credentials, not a token a caller could refresh.
    isAuthError: false,
    message: `Schwab answered ${response.requestLabel} (${grant} grant) with HTTP ${response.status}${code ? ` (${code})` : ''}.`,
  });
  if (isRetryableStatus(response.status)) return api;
  const codes = [parsed?.error, parsed?.innerError];
  const text = `${parsed?.description ?? ''} ${parsed?.innerDescription ?? ''}`;

  if (grant === 'refresh_token' && (codes.includes('refresh_token_authentication_error') || codes.includes('invalid_grant'))) {
    return new LoginRequiredError({
      broker: BROKER,
      message:
        'Schwab rejected the refresh token (refresh_token_authentication_error): it lasts 7 days from the browser login and was either older than that or revoked. Log in again in the browser.',
      cause: api,
    });
  }
  if (codes.includes('invalid_client') || response.status === 401) {
    return new InvalidCredentialsError({
      broker: BROKER,
      message:
        'Schwab rejected the app credentials (invalid_client): check appKey and appSecret against developer.schwab.com, and that the app status is "Ready For Use".',
      cause: api,
    });
  }
  if (grant === 'authorization_code') {
    if (/AuthorizationCode has expired/i.test(text)) {
      return new InvalidInputError({
        code: 'AUTHORIZATION_CODE_EXPIRED',
        field: 'code',
        message:
          'The Schwab authorization code expired before it was exchanged: codes live about 30 seconds after the redirect. Log in again and finish (or paste the redirected URL) within 30 seconds.',
        cause: api,
      });
    }
    if (codes.includes('invalid_request') || codes.includes('invalid_grant')) {
      return new InvalidInputError({
        code: 'AUTHORIZATION_CODE_INVALID',
        field: 'code',
        message:
          'Schwab rejected the authorization code: it was already used, mistyped, or the redirect_uri differs from the callback URL registered for the app. Log in again.',
        cause: api,
      });
    }
  }
  return api;
}

/**
 * A failed Trader API call (`/trader/v1/...`). A 401 with the `errors[]` body means the access
 * token is stale or revoked: `isAuthError`, so `manager.withToken()` refreshes and retries once.
 */
export function schwabApiErrorFromResponse(response: BrokerHttpResponse): BrokerApiError {
  const parsed = apiErrorSchema.safeParse(safeJson(response.bodyText));
  const first = parsed.success ? parsed.data.errors[0] : undefined;
  const detail = [first?.title, first?.detail].filter(Boolean).join(': ');
  return brokerApiErrorFromResponse({
    response,
    message: `Schwab answered ${response.requestLabel} with HTTP ${response.status}${detail ? ` (${detail})` : ''}.`,
    isAuthError: response.status === 401 || response.status === 403,
  });
}

/** A 2xx whose body could not be read is most likely a proxy glitch: worth another try. */
export function retryableShapeError(error: unknown): unknown {
  if (!BrokerApiError.isInstance(error) || error.isRetryable) return error;
  return new BrokerApiError({
    broker: error.broker,
    message: `${error.message} Retrying may help.`,
    ...(error.statusCode !== undefined ? { statusCode: error.statusCode } : {}),
    ...(error.responseBody !== undefined ? { responseBody: error.responseBody } : {}),
    isAuthError: false,
    isRetryable: true,
    cause: error,
  });
}
