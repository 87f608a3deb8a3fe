export { createFyers, FYERS_RENEWAL_WINDOW, FYERS_SEED_SCHEDULE, type FyersAdapter } from './fyers-adapter';
export { FYERS_BASE_URL, resolveFyersSettings, type FyersSettings, type ResolvedFyersSettings } from './fyers-settings';
export { parseFyersPasted, type FyersLogin } from './fyers-login';
export {
  classifyFyersError,
  FYERS_AUTH_CODES,
  FYERS_CREDENTIAL_CODES,
  FYERS_RATE_LIMIT_CODE,
  type FyersFailure,
} from './fyers-errors';
export { fyersTokenSetFromTokens } from './fyers-token-set';
export { FYERS_DAILY_EXPIRY, FYERS_PATHS, FYERS_REFRESH_TOKEN_LIFETIME_MS } from './fyers-api';
