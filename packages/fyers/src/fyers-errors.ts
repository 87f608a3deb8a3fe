import { BrokerApiError, InvalidCredentialsError, isRetryableStatus, LoginRequiredError, type TokensError } from '@tokens/core';
import { brokerApiErrorFromResponse, type BrokerHttpResponse } from '@tokens/broker-utils';
import { errorEnvelopeSchema, type FyersErrorEnvelope } from './fyers-api';

/** Token rejected: −8 expired, −15 invalid, −16 could not authenticate, −17 invalid or expired. */
export const FYERS_AUTH_CODES: ReadonlySet<number> = new Set([-8, -15, -16, -17]);
/** App credentials rejected: −352 invalid app id, −371 bad `appIdHash` (wrong secret). */
export const FYERS_CREDENTIAL_CODES: ReadonlySet<number> = new Set([-352, -371]);
/** FYERS' own rate-limit code (also sent with HTTP 429). */
export const FYERS_RATE_LIMIT_CODE = -429;

/** What the failed call was for: the same answer means different things to each. */
export type FyersOperation = 'refresh' | 'exchange' | 'validate';

export type FyersFailure = (
  | { kind: 'retryable'; error: BrokerApiError }
  | { kind: 'credentials'; error: InvalidCredentialsError }
  | { kind: 'auth'; error: BrokerApiError }
  | { kind: 'rejected'; error: BrokerApiError }
) & {
  /** "HTTP 401, code -16: Could not authenticate the user", with secrets removed. */
  summary: string;
};

/** The `{ s: "error" }` envelope, when the body is one (FYERS also sends it with HTTP 200). */
export function readErrorEnvelope(response: BrokerHttpResponse): FyersErrorEnvelope | undefined {
  let body: unknown;
  try {
    body = JSON.parse(response.bodyText);
  } catch {
    return undefined;
  }
  const parsed = errorEnvelopeSchema.safeParse(body);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Classifies a FYERS error answer by HTTP status AND envelope, never by one exact code alone:
 * retryable (408/429/5xx or −429), app credentials (−352/−371), token rejected (401/403 or
 * −8/−15/−16/−17), or any other rejection.
 */
export function classifyFyersError(response: BrokerHttpResponse, envelope = readErrorEnvelope(response)): FyersFailure {
  const code = envelope?.code;
  const said = envelope?.message ? `: ${envelope.message.slice(0, 200)}` : '';
  const codeText = code === undefined ? '' : `, code ${code}`;
  const summary = response.redactText(`HTTP ${response.status}${codeText}${said}`);
  const retryable = isRetryableStatus(response.status) || code === FYERS_RATE_LIMIT_CODE;
  const auth = response.status === 401 || response.status === 403 || (code !== undefined && FYERS_AUTH_CODES.has(code));
  const error = brokerApiErrorFromResponse({
    response,
    message: `FYERS answered ${response.requestLabel} with ${summary}.`,
    ...(code !== undefined ? { brokerCode: code } : {}),
    isAuthError: auth && !retryable,
    isRetryable: retryable,
  });
  if (retryable) return { kind: 'retryable', error, summary };
  if (code !== undefined && FYERS_CREDENTIAL_CODES.has(code)) {
    return {
      kind: 'credentials',
      summary,
      error: new InvalidCredentialsError({
        broker: 'fyers',
        message: `FYERS rejected the app credentials (${summary}). Check \`appId\` (with its "-100" suffix) and \`appSecret\` on myapi.fyers.in.`,
        cause: error,
      }),
    };
  }
  return auth ? { kind: 'auth', error, summary } : { kind: 'rejected', error, summary };
}

/**
 * The error a failed refresh throws. FYERS publishes no code for a wrong PIN or an expired
 * refresh token, so every non-retryable rejection that is not about the app credentials means
 * "a human must log in again".
 */
export function refreshError(response: BrokerHttpResponse): TokensError {
  const failure = classifyFyersError(response);
  if (failure.kind === 'retryable' || failure.kind === 'credentials') return failure.error;
  return new LoginRequiredError({
    broker: 'fyers',
    message: `FYERS refused to renew the session (${failure.summary}). The refresh token may have expired (15 days after the last browser login) or been revoked, or the PIN may be wrong: log in again in the browser and check the PIN.`,
    cause: failure.error,
  });
}

/** The error a failed auth-code exchange throws: auth codes are single-use and short-lived. */
export function exchangeError(response: BrokerHttpResponse): TokensError {
  const failure = classifyFyersError(response);
  if (failure.kind === 'retryable' || failure.kind === 'credentials') return failure.error;
  return new LoginRequiredError({
    broker: 'fyers',
    message: `FYERS rejected the login (${failure.summary}). Auth codes work once and expire: start the browser login again.`,
    cause: failure.error,
  });
}

/** A body we cannot read is more likely a proxy hiccup than a verdict: retry it. */
export function malformedError(cause: unknown): BrokerApiError {
  const parsed = BrokerApiError.isInstance(cause) ? cause : undefined;
  return new BrokerApiError({
    broker: 'fyers',
    message: parsed?.message ?? 'FYERS answered with a body that could not be read.',
    ...(parsed?.statusCode !== undefined ? { statusCode: parsed.statusCode } : {}),
    ...(parsed?.responseBody !== undefined ? { responseBody: parsed.responseBody } : {}),
    isAuthError: false,
    isRetryable: true,
    cause,
  });
}
