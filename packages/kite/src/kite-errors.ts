import { InvalidCredentialsError, InvalidInputError, isRetryableStatus, type TokensError } from '@tokens/core';
import { brokerApiErrorFromResponse, type BrokerHttpResponse } from '@tokens/broker-utils';
import { kiteErrorEnvelope, type KiteErrorEnvelope } from './kite-api';

/** Which call failed; decides what a rejected token means for the human. */
export type KiteOperation = 'exchange' | 'refresh' | 'validate' | 'logout';

const what: Record<KiteOperation, string> = {
  exchange: 'the request token',
  refresh: 'the refresh token',
  validate: 'the session',
  logout: 'the logout',
};

/** The envelope of an error response, or `{}` when the body is not Kite's JSON. */
export function readKiteEnvelope(response: BrokerHttpResponse): KiteErrorEnvelope {
  try {
    const parsed = kiteErrorEnvelope.safeParse(JSON.parse(response.bodyText));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/**
 * True when Kite says the session (or request/refresh token) is no good: HTTP 403 or
 * `TokenException`. Like kiteconnectjs, any TokenException counts whatever the status; like
 * pykiteconnect, a 403 is decisive on its own.
 */
export function isKiteTokenRejection(response: BrokerHttpResponse, envelope = readKiteEnvelope(response)): boolean {
  return response.status === 403 || envelope.error_type === 'TokenException';
}

/**
 * Maps a Kite error response to a typed error:
 * - 403 / `TokenException` → auth error that needs a human (log in again);
 * - a checksum or api_key complaint → InvalidCredentialsError (fix the settings);
 * - `InputException` → InvalidInputError with Kite's message;
 * - 429, 5xx, `NetworkException` → retryable;
 * - anything else → BrokerApiError, not retryable.
 */
export function kiteErrorFromResponse(response: BrokerHttpResponse, operation: KiteOperation): TokensError {
  const envelope = readKiteEnvelope(response);
  const type = envelope.error_type;
  // Kite's messages are short fixed texts; redactText still strips anything secret-looking.
  const said = envelope.message ? response.redactText(envelope.message).slice(0, 200) : undefined;
  const detail = `HTTP ${response.status}${type ? ` ${type}` : ''}${said ? `: ${said}` : ''}`;

  // The checksum's error_type is unverified (seen as TokenException and InputException), so the
  // message decides here: a bad checksum means a wrong apiSecret, which no login can fix.
  if ((operation === 'exchange' || operation === 'refresh') && said && /checksum|api_secret/i.test(said)) {
    return new InvalidCredentialsError({
      broker: 'kite',
      message: `Kite rejected the checksum (${detail}). The API secret does not match the API key: check \`apiSecret\` (KITE_API_SECRET).`,
    });
  }
  if (said && /api_key/i.test(said) && !/access_token/i.test(said) && type !== 'TokenException') {
    return new InvalidCredentialsError({
      broker: 'kite',
      message: `Kite does not know this API key (${detail}). Check \`apiKey\` (KITE_API_KEY).`,
    });
  }
  if (response.status !== 429 && isKiteTokenRejection(response, envelope)) {
    const hint =
      operation === 'exchange'
        ? 'Request tokens work once and only for a few minutes: log in again and use the new one right away.'
        : operation === 'refresh'
          ? 'The refresh token was revoked or expired: a human must log in again.'
          : 'The session ended (logout, master logout on Kite web, or the 06:00 IST expiry): a human must log in again.';
    return brokerApiErrorFromResponse({
      response,
      brokerCode: type ?? 'TokenException',
      message: `Kite rejected ${what[operation]} (${detail}). ${hint}`,
      isAuthError: true,
      needsHuman: true,
      isRetryable: false,
    });
  }
  if (type === 'InputException' && response.status < 500 && response.status !== 429) {
    return new InvalidInputError({
      code: 'KITE_INPUT_EXCEPTION',
      message: `Kite refused ${what[operation]} as invalid input (${detail}).`,
    });
  }
  const retryable = isRetryableStatus(response.status) || type === 'NetworkException';
  return brokerApiErrorFromResponse({
    response,
    ...(type ? { brokerCode: type } : {}),
    message: `Kite answered ${response.requestLabel} with ${detail}.${retryable ? ' Retrying later should help.' : ''}`,
    isRetryable: retryable,
    isAuthError: false,
  });
}
