export { createKotak, type KotakAdapter } from './kotak-adapter';
export { KOTAK_LOGIN_BASE_URL, KOTAK_NEO_FIN_KEY, maskMobileNumber, maskUcc, type KotakSettings } from './kotak-settings';
export { isKotakAuthError } from './kotak-errors';
export { INVALID_SESSION_ST_CODE, KOTAK_PATHS } from './kotak-api';
export { kotakSession, type KotakSession } from './kotak-session';
