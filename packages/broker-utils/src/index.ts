export {
  createBrokerHttp,
  DEFAULT_TIMEOUT_MS,
  type BrokerHttp,
  type BrokerHttpResponse,
  type BrokerHttpSettings,
  type BrokerRequestOptions,
  type HttpValue,
} from './http-client';
export {
  brokerApiErrorFromResponse,
  classifyStatus,
  invalidCredentials,
  loginRequired,
  parseRetryAfter,
  retryAfterFromHeaders,
  type BrokerApiErrorFromResponseOptions,
  type StatusClass,
} from './errors';
export {
  isSensitiveFieldName,
  MAX_REDACTED_BODY_LENGTH,
  REDACTED,
  redactBody,
  redactMessage,
} from './redact';
export { parseJsonResponse, type ParseJsonResponseOptions } from './schemas';
export { decodeJwtPayload, jwtExpiresAt, jwtIssuedAt, type JwtPayload } from './jwt';
export {
  formatIst,
  IST_OFFSET_MS,
  IST_TIME_ZONE,
  istEndOfDay,
  istStartOfDay,
  nextIstTime,
  parseIstDdMmYyyyHhMm,
  parseIstLocal,
} from './wall-clock';
export { generateTotp, totpTimeRemainingMs, type GenerateTotpOptions, type TotpAlgorithm } from './totp';
export { basicAuth, fyersAppIdHash, kiteChecksum, safeEqual, sha256Hex } from './hash';
export {
  loadOptionalSetting,
  loadSecretSetting,
  loadSetting,
  withoutTrailingSlash,
  type LoadSettingOptions,
} from './load-setting';
export { isSecretValue, revealInput, type SecretInput } from './secret-input';
