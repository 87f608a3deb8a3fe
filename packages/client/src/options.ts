import { TokensClientError } from './errors';
import type { TokensClientOptions } from './types';

const DEFAULTS = { initialMs: 250, maxMs: 10_000, requestTimeoutMs: 15_000, idleTimeoutMs: 45_000, expirySkewMs: 5_000, invalidateTimeoutMs: 45_000 };

/** The client's options, checked, with the defaults filled in. */
export interface ClientSettings {
  readonly transport: 'sse' | 'socket';
  readonly now: () => number;
  /** Reconnect backoff: first and longest wait. */
  readonly initialMs: number;
  readonly maxMs: number;
  readonly requestTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** A cached token is served until this long before its expiry. */
  readonly skew: number;
  readonly invalidateTimeoutMs: number;
  readonly keepRefresh: boolean;
  readonly fetch: typeof fetch;
}

export function invalidOption(message: string): TokensClientError {
  return new TokensClientError({ code: 'INVALID_OPTIONS', message, isRetryable: false, needsHuman: true });
}

export function assertAccount(account: unknown): asserts account is string {
  if (typeof account !== 'string' || account === '' || account === '*') throw invalidOption('account must be a non-empty account id (as in the daemon config).');
}

/** Checks `options` (throws INVALID_OPTIONS saying what to pass) and fills in the defaults. */
export function resolveOptions(options: TokensClientOptions): ClientSettings {
  if (!options || typeof options.apiToken !== 'string' || options.apiToken === '') {
    throw invalidOption('apiToken is required: the daemon\'s http.apiToken, or the contents of <store dir>/api-token.');
  }
  if (!options.url && !options.socketPath) throw invalidOption('Pass url (http://127.0.0.1:7420) or socketPath (the daemon\'s socket.path), or both.');
  const transport = options.transport ?? (options.socketPath ? 'socket' : 'sse');
  if (transport === 'socket' && !options.socketPath) throw invalidOption('transport "socket" needs socketPath.');
  if (transport === 'sse' && !options.url) throw invalidOption('transport "sse" needs url.');
  if (options.url !== undefined && !/^https?:\/\//.test(options.url)) throw invalidOption(`url must start with http:// or https:// (got "${options.url}").`);

  const initialMs = Math.max(1, options.reconnect?.initialMs ?? DEFAULTS.initialMs);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (options.url && typeof fetchImpl !== 'function') throw invalidOption('No fetch available: pass options.fetch (Node 20+ has a global fetch).');
  return {
    transport,
    now: options.now ?? Date.now,
    initialMs,
    maxMs: Math.max(initialMs, options.reconnect?.maxMs ?? DEFAULTS.maxMs),
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs,
    skew: options.expirySkewMs ?? DEFAULTS.expirySkewMs,
    invalidateTimeoutMs: options.invalidateTimeoutMs ?? DEFAULTS.invalidateTimeoutMs,
    keepRefresh: options.includeRefreshToken === true,
    fetch: fetchImpl,
  };
}
