/** One HTTP answer of the fake: status and JSON body. */
export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

const error = (status: number, code: number, message: string): Answer => ({ status, body: { s: 'error', code, message } });

/** Defaults chosen to match the research test vector: sha256("ABCDEFGH12-100:SECRETKEY1"). */
export const FAKE_FYERS_DEFAULTS = {
  appId: 'ABCDEFGH12-100',
  appSecret: 'SECRETKEY1',
  pin: '1234',
  fyId: 'XA00000',
} as const;

/**
 * Every error the fake sends, in FYERS' `{ s: "error", code, message }` envelope. Tags as in
 * research §1.6: [DOC]/[SDK]/[OBS] bodies are copied; [INF] ones are our best guess, because
 * FYERS documents no code for a wrong PIN or an expired refresh token (adapters must not
 * branch on those codes).
 */
export const FAKE_FYERS_ANSWERS = {
  /** [OBS #41] wrong or missing `grant_type`. */
  invalidGrantType: error(400, -441, 'invalid grant type'),
  /** [SDK csv][OBS #24] `appIdHash` is not sha256(appId:appSecret). */
  invalidAppIdHash: error(400, -371, 'Please provide sha256 hash of appId and app secret'),
  /** [SDK csv] no `code` in the exchange. */
  missingAuthCode: error(400, -374, 'Please provide authorization code'),
  /** [DOC −352] unknown `client_id` on the login page. */
  invalidAppId: error(400, -352, 'Invalid App ID'),
  /** [OBS −17, HTTP 401] auth code unknown, used or expired. */
  invalidAuthCode: error(401, -17, 'Could not authenticate the user or Token is Expired'),
  /** [OBS −16; INF status 401] token unknown, revoked or expired on api-t1. */
  unauthenticated: error(401, -16, 'Could not authenticate the user'),
  /** [INF] refresh token older than 15 days: −8 is FYERS' documented "token expired". */
  refreshTokenExpired: error(401, -8, 'Your token has expired. Please generate a token'),
  /** [INF] wrong PIN: an undocumented code on purpose, so only the generic rule can classify it. */
  wrongPin: error(400, -1, 'Invalid PIN'),
  /** [DOC −429] rate limit (10/s, 200/min, 100 000/day). */
  rateLimited: error(429, -429, 'request limit reached'),
  /** [INF] FYERS documents HTTP 500 without a body. */
  serverError: error(500, -99, 'Internal Server Error'),
  notFound: error(404, -404, 'Not Found'),
  /** [DOC] `POST /logout`. */
  loggedOut: { status: 200, body: { s: 'ok', code: 200, message: 'you are successfully logged out' } } as Answer,
} as const satisfies Record<string, Answer>;

/** `GET /profile` success body: the documented fields, with fake values. */
export function fakeProfile(fyId: string): Record<string, unknown> {
  return {
    s: 'ok',
    code: 200,
    message: '',
    data: {
      name: 'FAKE TRADER',
      image: null,
      display_name: 'FAKE',
      email_id: 'trader@example.com',
      PAN: 'XXXXX0000X',
      fy_id: fyId,
      pin_change_date: '01-01-2026 09:00:00',
      mobile_number: '9000000000',
      totp: true,
      pwd_change_date: null,
      pwd_to_expire: 90,
      ddpi_enabled: false,
      mtf_enabled: false,
    },
  };
}
