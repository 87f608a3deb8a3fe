import { BrokerApiError, InvalidCredentialsError, InvalidInputError, isAuthError, isRetryableStatus, type TokensError } from '@tokens/core';
import { brokerApiErrorFromResponse, type BrokerHttpResponse } from '@tokens/broker-utils';
import { errorBodySchema, INVALID_SESSION_ST_CODE, type KotakErrorBody } from './kotak-api';

export const BROKER = 'kotak';

/** Which call failed: the TOTP login, the MPIN validation or the session probe. */
export type KotakStep = 'login' | 'validate' | 'probe';

const STEP_LABEL: Record<KotakStep, string> = {
  login: 'the TOTP login (tradeApiLogin)',
  validate: 'the MPIN validation (tradeApiValidate)',
  probe: 'the session probe (get-client-ip)',
};

/** What the body says went wrong, in whichever dialect it uses. */
export interface KotakFailure {
  code?: string;
  message?: string;
  /** The body says the session is invalid or expired (stCode 100022). */
  invalidSession: boolean;
}

export function readFailure(body: unknown): KotakFailure {
  const parsed = errorBodySchema.safeParse(body);
  if (!parsed.success) return { invalidSession: false };
  const b: KotakErrorBody = parsed.data;
  const first = b.error?.[0];
  const code = first?.code ?? b.stCode;
  const message = first?.message ?? b.errMsg ?? b.message;
  return {
    ...(code !== undefined ? { code: String(code) } : {}),
    ...(message !== undefined ? { message } : {}),
    invalidSession: Number(b.stCode) === INVALID_SESSION_ST_CODE,
  };
}

function parseBody(response: BrokerHttpResponse): unknown {
  try {
    return JSON.parse(response.bodyText) as unknown;
  } catch {
    return undefined;
  }
}

/** A missing field or header: our request was malformed, not the credentials wrong. */
function isMalformedRequest(f: KotakFailure): boolean {
  return f.code === '10512' || /required (field|header)/i.test(f.message ?? '');
}

function describe(response: BrokerHttpResponse, f: KotakFailure, pii: readonly string[]): string {
  // Broker text may echo what we sent; scrub secrets and personal data, keep it short.
  const said = f.message ? ` "${response.redactText(f.message, pii).slice(0, 200)}"` : '';
  const code = f.code !== undefined ? `, code ${f.code}` : '';
  return `(HTTP ${response.status}${code})${said}`;
}

export interface ClassifyOptions {
  step: KotakStep;
  response: BrokerHttpResponse;
  /** Mobile number and UCC: removed from any broker text we quote. */
  pii: readonly string[];
  /** "for AB*** (+91******3210)", for humans telling accounts apart. */
  who: string;
  /** Step 1 only: we already used this TOTP code in a login that succeeded. */
  totpReused?: { retryAfterMs: number };
}

/**
 * Turns a failed Trade API answer into a typed error. Retry decisions live on the error:
 * 429/5xx are retryable; a rejected TOTP, MPIN, UCC or consumer key is InvalidCredentialsError
 * (a human must fix the settings, so the engine stops instead of hammering the login);
 * a malformed request is InvalidInputError; an invalid-session answer is an auth error.
 */
export function kotakError(o: ClassifyOptions): TokensError {
  const { response, step } = o;
  const body = parseBody(response);
  const f = readFailure(body);
  const what = STEP_LABEL[step];
  if (isRetryableStatus(response.status)) {
    return brokerApiErrorFromResponse({
      response,
      ...(f.code !== undefined ? { brokerCode: f.code } : {}),
      message: `Kotak could not serve ${what} right now ${describe(response, f, o.pii)}; it will be retried.`,
      secretValues: o.pii,
    });
  }
  if (body === undefined) {
    return new BrokerApiError({
      broker: BROKER,
      message: `Kotak answered ${what} with HTTP ${response.status} and a body that is not JSON.`,
      statusCode: response.status,
      responseBody: response.redactedBody(o.pii),
      isAuthError: false,
      isRetryable: false,
    });
  }
  if (f.invalidSession || (step !== 'login' && response.status === 403)) {
    // During a login this means the view session of step 1 was refused: a fresh login fixes it.
    return brokerApiErrorFromResponse({
      response,
      brokerCode: f.code ?? INVALID_SESSION_ST_CODE,
      message: `Kotak rejected the session in ${what} ${describe(response, f, o.pii)}.`,
      isAuthError: true,
      isRetryable: step !== 'probe',
      secretValues: o.pii,
    });
  }
  if (isMalformedRequest(f)) {
    return new InvalidInputError({
      code: 'KOTAK_BAD_REQUEST',
      field: step,
      message: `Kotak refused ${what} as malformed ${describe(response, f, o.pii)}. The request lacked a field or header Kotak requires: check that no proxy strips headers, else report this as a bug in @tokens/kotak.`,
    });
  }
  if (response.ok && f.code === undefined && f.message === undefined) {
    return new BrokerApiError({
      broker: BROKER,
      message: `Kotak answered ${what} with HTTP ${response.status} but without the \`data\` it should carry.`,
      statusCode: response.status,
      responseBody: response.redactedBody(o.pii),
      isAuthError: false,
      isRetryable: false,
    });
  }
  if (step === 'login' && o.totpReused) {
    // Kotak may refuse a TOTP code that already logged in (RFC 6238 §5.2): wait for the next one.
    return new BrokerApiError({
      broker: BROKER,
      message: `Kotak refused ${what} ${o.who} ${describe(response, f, o.pii)} right after a login with the same TOTP code; retrying with the next code.`,
      statusCode: response.status,
      retryAfterMs: o.totpReused.retryAfterMs,
      responseBody: response.redactedBody(o.pii),
      ...(f.code !== undefined ? { brokerCode: f.code } : {}),
      isAuthError: false,
      isRetryable: true,
    });
  }
  if (step === 'probe') {
    // A probe never changes the credentials' verdict; the caller decides what a failed probe means.
    return brokerApiErrorFromResponse({
      response,
      ...(f.code !== undefined ? { brokerCode: f.code } : {}),
      message: `Kotak answered ${what} ${describe(response, f, o.pii)}.`,
      secretValues: o.pii,
    });
  }
  const check =
    step === 'validate'
      ? 'Check the MPIN (setting `mpin` / KOTAK_MPIN).'
      : 'Check the consumer key, mobile number, UCC and TOTP secret (settings `consumerKey`, `mobileNumber`, `ucc`, `totpSecret`), that the host clock is correct and that its IP is the one whitelisted for the Trade API.';
  const cause = brokerApiErrorFromResponse({ response, ...(f.code !== undefined ? { brokerCode: f.code } : {}), secretValues: o.pii });
  return new InvalidCredentialsError({
    broker: BROKER,
    message: `Kotak refused ${what} ${o.who} ${describe(response, f, o.pii)}. ${check} Automatic re-login stops until the settings are fixed.`,
    cause,
  });
}

function stCodeOf(value: unknown): unknown {
  return value != null && typeof value === 'object' ? (value as { stCode?: unknown }).stCode : undefined;
}

/**
 * For `manager.withToken(id, fn, { isAuthError: isKotakAuthError })`: true for 401/403 (and
 * errors flagged `isAuthError`) and for anything carrying Kotak's invalid-session `stCode`
 * 100022 — on the error itself, or on its `body`, `data`, `response.data` or `cause` — since
 * Kotak also reports a dead session inside HTTP 200 bodies.
 */
export function isKotakAuthError(error: unknown): boolean {
  if (isAuthError(error)) return true;
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current != null && typeof current === 'object'; depth++) {
    const e = current as { body?: unknown; data?: unknown; response?: { data?: unknown }; cause?: unknown };
    for (const candidate of [e, e.body, e.data, e.response?.data]) {
      if (Number(stCodeOf(candidate)) === INVALID_SESSION_ST_CODE) return true;
    }
    current = e.cause;
  }
  return false;
}
