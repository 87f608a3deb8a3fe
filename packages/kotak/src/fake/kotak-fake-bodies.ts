/**
 * The bodies the fake answers with. Tags as in research/brokers.md §5: [SDK]/[OBS] are Kotak's
 * own shapes; [INF] marks our inference where no wire sample exists.
 */
import type { FakeKotakCredentials, FakeKotakSession } from './kotak-fake-state';

export interface FakeResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** [OBS #280, fake spec §5.5] HTTP 403 for an invalid or expired session. */
export const invalidSession = (): FakeResponse => ({
  status: 403,
  body: { stCode: 100022, errMsg: 'invalid session token', stat: 'Not_Ok' },
});

/** [OBS v2#2] A required header is missing (HTTP status [INF]). */
export const missingHeader = (): FakeResponse => ({
  status: 400,
  body: { error: [{ code: '10512', message: 'Required header not found.' }] },
});

/** [SDK docs] "the same error shape the backend itself returns": `'MobileNumber'`, `'Ucc'`, `'Totp'`, `'Mpin'`. */
export const missingField = (field: string): FakeResponse => ({
  status: 400,
  body: { error: [{ code: '400', message: `Missing required field '${field}'` }] },
});

/** [INF] in the generic `{ error: [...], stat }` shape [SDK README]: a consumer key Kotak does not accept. */
export const invalidConsumerKey = (): FakeResponse => ({
  status: 401,
  body: { error: [{ code: '401', message: 'Invalid Credentials' }], stat: 'Not_Ok' },
});

/** [SDK test fixture, HTTP 200] An unknown UCC, or a mobile number that does not belong to it. */
export const invalidUcc = (): FakeResponse => ({
  status: 200,
  body: { stCode: 429, errMsg: 'Invalid UCC', status: 'failure' },
});

/** [INF, by analogy with the MPIN fixture] A wrong (or, with `rejectReusedTotp`, replayed) TOTP. */
export const invalidTotp = (): FakeResponse => ({
  status: 200,
  body: { stCode: 401, errMsg: 'Invalid TOTP', status: 'failure' },
});

/** [SDK test fixture] A wrong MPIN (HTTP 200 [INF]). */
export const invalidMpin = (): FakeResponse => ({
  status: 200,
  body: { stCode: 401, errMsg: 'Invalid MPIN', status: 'failure' },
});

/** [INF] Unknown routes, in the generic error shape. */
export const notFound = (): FakeResponse => ({
  status: 404,
  body: { error: [{ code: '404', message: 'Resource not found' }], stat: 'Not_Ok' },
});

/** [INF] Fault 'server-error', with the status text of the SDK docs ("500 Unexpected error"). */
export const serverError = (): FakeResponse => ({
  status: 500,
  body: { error: [{ code: '500', message: 'Unexpected error' }], stat: 'Not_Ok' },
});

/** [INF] Fault 'rate-limit' ("429 Too many requests to the API"); Retry-After only when asked for. */
export const rateLimited = (retryAfterSeconds?: number): FakeResponse => ({
  status: 429,
  body: { error: [{ code: '429', message: 'Too many requests to the API' }], stat: 'Not_Ok' },
  ...(retryAfterSeconds !== undefined ? { headers: { 'retry-after': String(retryAfterSeconds) } } : {}),
});

/** [SDK docs sample] tradeApiLogin success: the view token. */
export function loginBody(view: FakeKotakSession, c: FakeKotakCredentials, dataCenter: string): unknown {
  return {
    data: {
      token: view.token,
      sid: view.sid,
      rid: view.rid,
      isUserPwdExpired: false,
      ucc: c.ucc,
      greetingName: 'FAKE USER',
      isTrialAccount: false,
      dataCenter,
      mfAccess: 1,
      dataCenterMap: null,
      dormancyStatus: 'A',
      asbaStatus: '',
      clientType: 'RI',
      isNRI: false,
      kId: 'XXXXXXXXXX',
      kType: 'View',
      status: 'success',
      incRange: 0,
      incUpdFlag: '',
      clientGroup: '',
      kraStatus: '',
      rcFlag: 0,
    },
  };
}

/** [SDK docs sample] tradeApiValidate success: the trade token and the data centre's base URL. */
export function validateBody(trade: FakeKotakSession, c: FakeKotakCredentials, dataCenter: string, baseUrl: string): unknown {
  const view = loginBody(trade, c, dataCenter) as { data: Record<string, unknown> };
  return { data: { ...view.data, baseUrl, kType: 'Trade' } };
}

/** "2026-07-07 12:07:34.440", IST, as get-client-ip shows its time. */
export function istTimestamp(at: number): string {
  return new Date(at + 19_800_000).toISOString().replace('T', ' ').replace('Z', '');
}

/** [SDK docs sample] get-client-ip. */
export function clientIpBody(ip: string, at: number): unknown {
  return { data: [{ ip, time: istTimestamp(at) }], stCode: 1000, status: 'success' };
}

/** [SDK docs sample, abridged] POST {baseUrl}/quick/user/limits. */
export function limitsBody(at: number): unknown {
  return {
    Category: 'CLIENT_SPECIAL',
    CollateralValue: '38.19',
    MarginUsed: '18.78',
    Net: '19.409999999999997',
    TimeStamp: String(at),
    stCode: 200,
    stat: 'Ok',
  };
}
