export { TokensError, type TokensErrorCode, type TokensErrorOptions } from './tokens-error';
export * from './errors';
