export { createSchwab, type SchwabAdapter } from './schwab-adapter';
export { resolveSchwabSettings, SCHWAB_BASE_URL, type ResolvedSchwabSettings, type SchwabSettings } from './schwab-settings';
export { decodeAuthorizationCode, parseSchwabRedirect, type SchwabLogin } from './schwab-login';
export {
  parseSchwabOAuthError,
  schwabApiErrorFromResponse,
  tokenEndpointError,
  type SchwabGrant,
  type SchwabOAuthError,
} from './schwab-errors';
export {
  ACCESS_TOKEN_LIFETIME_MS,
  AUTHORIZATION_CODE_LIFETIME_MS,
  REFRESH_TOKEN_LIFETIME_MS,
  SCHWAB_PATHS,
  type SchwabTokenResponse,
} from './schwab-api';
export {
  formatSchwabPyToken,
  parseSchwabPyToken,
  readSchwabPyTokenFile,
  writeSchwabPyTokenFile,
  type ParseSchwabPyTokenOptions,
  type SchwabPyTokenFile,
} from './schwab-token-file';
