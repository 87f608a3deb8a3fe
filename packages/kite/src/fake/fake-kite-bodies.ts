// Wire bodies of the fake, shaped after Zerodha's own fixtures (zerodha/kiteconnect-mocks:
// generate_session.json, profile.json, session_logout.json) and the documented error envelope.

export interface FakeKiteUser {
  userId: string;
  /** What the fake's login form accepts. */
  password: string;
  userName: string;
  userShortname: string;
  email: string;
}

const EXCHANGES = ['NSE', 'NFO', 'BFO', 'CDS', 'BSE', 'MCX', 'BCD', 'MF'];
const PRODUCTS = ['CNC', 'NRML', 'MIS', 'BO', 'CO'];
const ORDER_TYPES = ['MARKET', 'LIMIT', 'SL', 'SL-M'];

/** `POST /session/token` / `POST /session/refresh_token` → 200, generate_session.json's field order. */
export function sessionBody(o: {
  user: FakeKiteUser;
  apiKey: string;
  accessToken: string;
  publicToken: string;
  enctoken: string;
  refreshToken: string;
  loginTime: string;
}) {
  return {
    status: 'success',
    data: {
      user_type: 'individual',
      email: o.user.email,
      user_name: o.user.userName,
      user_shortname: o.user.userShortname,
      broker: 'ZERODHA',
      exchanges: EXCHANGES,
      products: PRODUCTS,
      order_types: ORDER_TYPES,
      avatar_url: 'abc',
      user_id: o.user.userId,
      api_key: o.apiKey,
      access_token: o.accessToken,
      public_token: o.publicToken,
      enctoken: o.enctoken,
      refresh_token: o.refreshToken,
      silo: '',
      login_time: o.loginTime,
      meta: { demat_consent: 'physical' },
    },
  };
}

/** `GET /user/profile` → 200 (profile.json). */
export function profileBody(user: FakeKiteUser) {
  return {
    status: 'success',
    data: {
      user_id: user.userId,
      user_type: 'individual',
      email: user.email,
      user_name: user.userName,
      user_shortname: user.userShortname,
      broker: 'ZERODHA',
      exchanges: EXCHANGES,
      products: PRODUCTS,
      order_types: ORDER_TYPES,
      avatar_url: null,
      meta: { demat_consent: 'physical' },
    },
  };
}

/** `DELETE /session/token` → 200 (session_logout.json). */
export const LOGOUT_BODY = { status: 'success', data: true };

export type KiteErrorType =
  | 'TokenException'
  | 'UserException'
  | 'OrderException'
  | 'InputException'
  | 'MarginException'
  | 'HoldingException'
  | 'NetworkException'
  | 'DataException'
  | 'GeneralException'
  | 'PermissionException';

/** `{"status":"error","message":…,"data":null,"error_type":…}` */
export function errorBody(errorType: KiteErrorType | (string & {}), message: string) {
  return { status: 'error', message, data: null, error_type: errorType };
}

/** The body every dead, unknown or revoked session gets, with HTTP 403 (observed in many projects). */
export const TOKEN_REJECTED = errorBody('TokenException', 'Incorrect `api_key` or `access_token`.');
/** A used, unknown or stale request token on `POST /session/token` (403). */
export const REQUEST_TOKEN_REJECTED = errorBody('TokenException', 'Token is invalid or has expired.');
