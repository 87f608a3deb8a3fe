export { createDhan, DHAN_DEFAULTS, type DhanAdapter } from './dhan-adapter';
export { DHAN_API_BASE_URL, DHAN_AUTH_BASE_URL, maskClientId, type DhanMode, type DhanSettings } from './dhan-settings';
export { DHAN_AUTH_CODES, DHAN_RETRYABLE_CODES, isDhanAuthError, parseDhanError, type DhanCall, type DhanErrorInfo } from './dhan-errors';
export { parseDhanPasted } from './dhan-login';
export { DHAN_TOKEN_LIFETIME_MS } from './dhan-token';
