import { BrokerApiError, Secret, type BrokerAdapterV1, type RefreshInputV1, type TokenSetV1, type ValidateInputV1, type ValidateResultV1 } from '@tokens/core';
import { createBrokerHttp, generateTotp, parseJsonResponse, totpTimeRemainingMs, withoutTrailingSlash } from '@tokens/broker-utils';
import { KOTAK_PATHS, loginResponseSchema, validateResponseSchema } from './kotak-api';
import { BROKER, kotakError, readFailure } from './kotak-errors';
import { buildTokenSet } from './kotak-session';
import { maskMobileNumber, maskUcc, resolveKotakSettings, type KotakSettings } from './kotak-settings';

const TOTP_PERIOD_MS = 30_000;

/** The Kotak adapter: a `BrokerAdapterV1` that re-logs in with TOTP + MPIN. */
export interface KotakAdapter extends BrokerAdapterV1 {
  readonly broker: 'kotak';
  readonly doValidate: (input: ValidateInputV1) => Promise<ValidateResultV1>;
}

/**
 * Creates the Kotak Neo Trade API (Gen 3) adapter. Kotak has no refresh token: every renewal
 * is a fresh login — `tradeApiLogin` with a TOTP, then `tradeApiValidate` with the MPIN — which
 * also ends the previous session. Settings fall back to KOTAK_* environment variables and are
 * validated here, so a bad configuration fails at startup with the field and the fix.
 */
export function createKotak(settings: KotakSettings = {}): KotakAdapter {
  const s = resolveKotakSettings(settings);
  const http = createBrokerHttp({
    broker: BROKER,
    baseUrl: s.loginBaseUrl,
    ...(s.fetch ? { fetch: s.fetch } : {}),
    ...(s.timeoutMs !== undefined ? { timeoutMs: s.timeoutMs } : {}),
  });
  const pii = [s.mobileNumber, s.ucc];
  const who = `for ${maskUcc(s.ucc)} (${maskMobileNumber(s.mobileNumber)})`;
  // The TOTP time step of the last login Kotak accepted; a code is only good once.
  let lastUsedStep: number | undefined;

  async function login(now: number, signal: AbortSignal): Promise<{ viewToken: Secret; viewSid: Secret }> {
    const step = Math.floor(now / TOTP_PERIOD_MS);
    const response = await http.request(KOTAK_PATHS.login, {
      method: 'POST',
      headers: { Authorization: s.consumerKey, 'neo-fin-key': s.neoFinKey },
      json: { mobileNumber: s.mobileNumber, ucc: s.ucc, totp: generateTotp({ secret: s.totpSecret, now }) },
      signal,
      secretValues: pii,
    });
    if (!response.ok || !hasData(safeJson(response.bodyText), 'object')) {
      throw kotakError({
        step: 'login',
        response,
        pii,
        who,
        ...(lastUsedStep === step ? { totpReused: { retryAfterMs: totpTimeRemainingMs(now) } } : {}),
      });
    }
    const { data } = parseJsonResponse(loginResponseSchema, response, { secretValues: pii });
    lastUsedStep = step;
    return { viewToken: new Secret(data.token), viewSid: new Secret(data.sid) };
  }

  async function doRefresh({ now, signal }: RefreshInputV1): Promise<TokenSetV1> {
    const { viewToken, viewSid } = await login(now, signal);
    const response = await http.request(KOTAK_PATHS.validate, {
      method: 'POST',
      headers: { Authorization: s.consumerKey, sid: viewSid, Auth: viewToken, 'neo-fin-key': s.neoFinKey },
      json: { mpin: s.mpin },
      signal,
      secretValues: pii,
    });
    if (!response.ok || !hasData(safeJson(response.bodyText), 'object')) {
      throw kotakError({ step: 'validate', response, pii, who });
    }
    const { data } = parseJsonResponse(validateResponseSchema, response, { secretValues: pii });
    const baseUrl = data.baseUrl && URL.canParse(data.baseUrl) && /^https?:/i.test(data.baseUrl) ? withoutTrailingSlash(data.baseUrl) : s.loginBaseUrl;
    return buildTokenSet({ tradeToken: data.token, sid: data.sid, baseUrl, now, ...(data.dataCenter ? { dataCenter: data.dataCenter } : {}) });
  }

  async function doValidate({ tokenSet, signal }: ValidateInputV1): Promise<ValidateResultV1> {
    const sid = tokenSet.secretExtras?.sid;
    if (!sid) return { valid: false, reason: 'the token set has no Kotak session id (sid); a new login is needed' };
    const response = await http.request(KOTAK_PATHS.clientIp, {
      method: 'GET',
      headers: { Authorization: s.consumerKey, Sid: sid, Auth: tokenSet.accessToken, accept: 'application/json' },
      signal,
      secretValues: pii,
    });
    const body = safeJson(response.bodyText);
    const failure = readFailure(body);
    if (failure.invalidSession || response.status === 401 || response.status === 403) {
      return { valid: false, reason: `Kotak rejected the session (HTTP ${response.status}${failure.invalidSession ? ', stCode 100022: invalid session token' : ''})` };
    }
    if (!response.ok) throw kotakError({ step: 'probe', response, pii, who });
    if (hasData(body, 'array') || Number(failure.code) === 1000) return { valid: true };
    throw new BrokerApiError({
      broker: BROKER,
      message: `Kotak answered the session probe (get-client-ip) with HTTP ${response.status} but without the \`data\` it should carry.`,
      statusCode: response.status,
      responseBody: response.redactedBody(pii),
      isAuthError: false,
      isRetryable: false,
    });
  }

  return {
    specificationVersion: 'v1',
    broker: BROKER,
    capabilities: { renewal: 'relogin', validate: true, renewalInvalidatesPrevious: true },
    // Sessions end at midnight IST; renew before the NSE pre-open (09:00 IST).
    expiryRule: { kind: 'daily', at: { time: '00:00', timeZone: 'Asia/Kolkata' } },
    renewalWindow: { start: '08:00', end: '09:00', timeZone: 'Asia/Kolkata' },
    doRefresh,
    doValidate,
  };
}

/** Successful Trade API answers carry `data`; "a 2xx without data is an error body". */
function hasData(body: unknown, kind: 'object' | 'array'): boolean {
  const data = body !== null && typeof body === 'object' ? (body as { data?: unknown }).data : undefined;
  return kind === 'array' ? Array.isArray(data) : data !== null && typeof data === 'object' && !Array.isArray(data);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
