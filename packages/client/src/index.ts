export { createTokensClient } from './client';
export { bindKiteConnect, bindToken, type BindOptions, type KiteConnectLike, type TokenBinding } from './bind';
export { TokensClientError, type TokensClientErrorCode, type TokensClientErrorOptions } from './errors';
export { isAuthError } from './token';
export type {
  ClientToken,
  ConnectionState,
  DaemonEvent,
  EventStamp,
  InvalidateOptions,
  ReconnectOptions,
  TokensClient,
  TokensClientOptions,
  TokensClientStats,
  WithTokenOptions,
} from './types';
