import { InvalidCredentialsError, InvalidInputError, LoginRequiredError, isRetryableStatus, type TokensError } from '@tokens/core';
import { brokerApiErrorFromResponse, type BrokerHttpResponse } from '@tokens/broker-utils';
import { dhanErrorEnvelopeSchema } from './dhan-api';

/** The Dhan calls the adapter makes; errors are classified per call. */
export type DhanCall = 'generateAccessToken' | 'RenewToken' | 'profile' | 'generate-consent' | 'consumeApp-consent';

/** The broker rejected the token or client id: DH-901, and the Data API's 807 (expired), 808 (auth failed), 809 (token invalid), 810 (client id invalid). */
export const DHAN_AUTH_CODES: ReadonlySet<string> = new Set(['DH-901', '807', '808', '809', '810']);
/** Worth retrying: DH-904 / 805 rate limit, DH-908 / 800 internal error, DH-909 network error. */
export const DHAN_RETRYABLE_CODES: ReadonlySet<string> = new Set(['DH-904', 'DH-908', 'DH-909', '800', '805']);

export interface DhanErrorInfo {
  code?: string;
  type?: string;
  message?: string;
}

/**
 * Reads Dhan's error from a body in any of its shapes: the v2 envelope
 * `{errorType, errorCode, errorMessage}`, the v1 `{remarks: {error_code, error_message}}` and the
 * Data API's `{status: "failed", data: {"807": "…"}}`.
 */
export function parseDhanError(body: unknown): DhanErrorInfo {
  if (body == null || typeof body !== 'object') return {};
  const envelope = dhanErrorEnvelopeSchema.safeParse(body);
  if (envelope.success && envelope.data.errorCode !== undefined) {
    return { code: String(envelope.data.errorCode), type: envelope.data.errorType, message: envelope.data.errorMessage };
  }
  const b = body as Record<string, unknown>;
  const remarks = b.remarks as Record<string, unknown> | undefined;
  if (remarks && typeof remarks === 'object' && remarks.error_code !== undefined) {
    return {
      code: String(remarks.error_code),
      type: typeof remarks.error_type === 'string' ? remarks.error_type : undefined,
      message: typeof remarks.error_message === 'string' ? remarks.error_message : undefined,
    };
  }
  const data = b.data as Record<string, unknown> | undefined;
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    const key = Object.keys(data).find((k) => /^8\d\d$/.test(k));
    if (key !== undefined) return { code: key, message: typeof data[key] === 'string' ? (data[key] as string) : undefined };
  }
  return {};
}

function bodyOf(response: BrokerHttpResponse): unknown {
  try {
    return response.json();
  } catch {
    return undefined;
  }
}

/**
 * True when Dhan rejected the token or client id. Pass it to `withToken` so a bot's own Dhan calls
 * recover from an expired session: `manager.withToken(id, fn, { isAuthError: isDhanAuthError })`.
 * Accepts errors (a `statusCode`/`status` of 401/403, `isAuthError`), response bodies and error
 * objects that carry a Dhan code.
 */
export function isDhanAuthError(error: unknown): boolean {
  if (error == null || typeof error !== 'object') return false;
  const e = error as Record<string, unknown> & { response?: { status?: unknown; data?: unknown } };
  if (e.isAuthError === true) return true;
  const status = e.statusCode ?? e.status ?? e.response?.status;
  if (status === 401 || status === 403) return true;
  const code = e.brokerCode ?? parseDhanError(e.response?.data ?? e.body ?? e).code;
  return code !== undefined && DHAN_AUTH_CODES.has(String(code));
}

/** `DH-901 "Client ID or … expired."`, or the status when Dhan sent no code. */
export function describeDhanError(info: DhanErrorInfo, status: number): string {
  const text = info.message ? ` "${info.message.slice(0, 200)}"` : '';
  return info.code ? `${info.code}${text}` : `HTTP ${status}${text}`;
}

/** Turns a Dhan error response into a typed error. Never echoes the URL query (PIN, TOTP) or tokens. */
export function dhanErrorFromResponse(
  response: BrokerHttpResponse,
  call: DhanCall,
  context: { clientLabel: string; canLogIn?: boolean },
): TokensError {
  const { clientLabel } = context;
  const info = parseDhanError(bodyOf(response));
  const status = response.status;
  const isAuth = status === 401 || status === 403 || (info.code !== undefined && DHAN_AUTH_CODES.has(info.code));
  const isRetryable = !isAuth && (isRetryableStatus(status) || (info.code !== undefined && DHAN_RETRYABLE_CODES.has(info.code)));
  const what = describeDhanError(info, status);
  const api = brokerApiErrorFromResponse({
    response,
    brokerCode: info.code,
    isAuthError: isAuth,
    isRetryable,
    message: `Dhan answered ${response.requestLabel} for client ${clientLabel} with HTTP ${status}${info.code ? `: ${what}` : ''}.`,
  });
  const isInput = info.code === 'DH-905';

  if (call === 'generateAccessToken' && (isAuth || isInput || status === 400)) {
    // The only inputs are client id, PIN and TOTP: retrying a wrong PIN can lock the account.
    return new InvalidCredentialsError({
      broker: 'dhan',
      message: response.redactText(
        `Dhan refused the PIN + TOTP login for client ${clientLabel}: ${what}. Check \`pin\` and \`totpSecret\`, that TOTP is enabled on web.dhan.co, and that this host's clock is right.`,
      ),
      cause: api,
    });
  }
  if (isInput) {
    return new InvalidInputError({
      message: response.redactText(`Dhan rejected ${response.requestLabel} as invalid input: ${what}.`),
      cause: api,
    });
  }
  if (isAuth && call === 'RenewToken') {
    return new LoginRequiredError({
      broker: 'dhan',
      message: response.redactText(
        `Dhan refused to renew the access token of client ${clientLabel}: ${what}. It expired, was revoked or was replaced by a newer token. Generate a new token on web.dhan.co (My Profile → Access DhanHQ APIs) and set \`accessToken\`${context.canLogIn ? ', or log in through the Dhan consent link' : ''}.`,
      ),
      cause: api,
    });
  }
  if (isAuth && (call === 'generate-consent' || call === 'consumeApp-consent')) {
    return new InvalidCredentialsError({
      broker: 'dhan',
      message: response.redactText(`Dhan refused the API key login for client ${clientLabel}: ${what}. Check \`apiKey\` and \`apiSecret\` (API keys last 12 months).`),
      cause: api,
    });
  }
  return api;
}
