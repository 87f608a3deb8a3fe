/** One account's current token as the daemon handed it out. */
export interface ClientToken {
  readonly account: string;
  readonly broker?: string;
  /** Grows by one with every new token of the account (the store's version). */
  readonly version: number;
  /** The secret. Hidden from `JSON.stringify`, `console.log` and `util.inspect`. */
  readonly accessToken: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  /** Epoch milliseconds (HTTP only; the socket does not send it). */
  readonly issuedAt?: number;
  readonly tokenType?: string;
  /** Non-secret broker extras (e.g. Dhan's client id, Kotak's base URL). */
  readonly extras?: Readonly<Record<string, unknown>>;
  /** Secret broker extras (e.g. Schwab's id token, Kotak's sid). */
  readonly secretExtras?: Readonly<Record<string, string>>;
  /** Only with `includeRefreshToken: true`. */
  readonly refreshToken?: string;
}

/** The daemon's stamp on a published event. */
export interface EventStamp {
  /** The daemon's event number (starts again at 1 when the daemon restarts). */
  id?: number;
  /** When the daemon published the event, epoch milliseconds (the daemon's clock). */
  at?: number;
}

/**
 * What the daemon reports on its push stream. Never carries a token. Every event carries `id` and
 * `at`, except the socket's `source: 'snapshot'` token events, which repeat the current token on
 * (re)subscribing and were never published.
 */
export type DaemonEvent =
  | ({ type: 'token'; accountId: string; version: number; expiresAt: number; source?: string; [k: string]: unknown } & EventStamp)
  | ({ type: 'state'; accountId: string; from?: string; to: string; [k: string]: unknown } & EventStamp)
  | ({ type: 'alert'; accountId?: string; kind?: string; severity?: string; [k: string]: unknown } & EventStamp)
  | ({ type: 'sink'; accountId: string; sink?: string; ok?: boolean; [k: string]: unknown } & EventStamp);

export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'closed';

export interface ReconnectOptions {
  /** First wait after a lost connection. Default 250 ms. */
  initialMs?: number;
  /** Longest wait between attempts. Default 10 s. */
  maxMs?: number;
}

export interface TokensClientOptions {
  /** The daemon's HTTP address, e.g. `http://127.0.0.1:7420` (see `<store dir>/daemon.json`). */
  url?: string;
  /** The daemon's Unix socket (config `socket.path`). */
  socketPath?: string;
  /** The daemon's API token (`http.apiToken`, or the file `<store dir>/api-token`). */
  apiToken: string;
  /**
   * Where pushes come from. Default: `'socket'` when `socketPath` is given, else `'sse'`.
   * Reads and `invalidate()` use HTTP whenever `url` is given, else the socket (`get`,
   * `invalidate`, `refresh`).
   */
  transport?: 'sse' | 'socket';
  /** Used for every HTTP request (default: the global fetch). */
  fetch?: typeof fetch;
  /** Accounts to load at once and keep current; `'*'` for all. Others are loaded on first use. */
  accounts?: readonly string[] | '*';
  reconnect?: ReconnectOptions;
  /** Per request to the daemon (a read may wait for a broker refresh). Default 15 s. */
  requestTimeoutMs?: number;
  /** No byte from the push stream for this long means a dead connection. Default 45 s (the daemon's SSE heartbeat is 15 s; the socket is pinged every third of this). */
  idleTimeoutMs?: number;
  /** A cached token is served until this long before its expiry. Default 5 s. */
  expirySkewMs?: number;
  /** How long `invalidate()` waits for a newer token (the daemon's refresh included). Default 45 s. */
  invalidateTimeoutMs?: number;
  /** Keep refresh tokens in the cache (HTTP `?include=refresh`; the socket always sends them). Default false. */
  includeRefreshToken?: boolean;
  /** Background problems (lost connection, a listener that threw). Never receives a token. */
  onError?: (error: Error) => void;
  /** Current time, for tests. */
  now?: () => number;
}

export interface WithTokenOptions {
  /** Decides whether `fn` failed because the broker rejected the token. Default: {@link isAuthError}. */
  isAuthError?: (error: unknown) => boolean;
}

export interface InvalidateOptions {
  /** The token the broker rejected (default: the cached one). A newer cached token returns at once. */
  accessToken?: string;
}

export interface TokensClientStats {
  state: ConnectionState;
  /** Successful connections so far (the first one included). */
  connections: number;
  /** Daemon reads (HTTP GET or socket `get`) so far. */
  reads: number;
  /** Pushed tokens or token events received. */
  pushes: number;
  lastError?: string;
}

export interface TokensClient {
  /** A valid access token: from the local cache when it holds a live one, else read from the daemon. */
  getAccessToken(account: string): Promise<string>;
  /** The whole token (expiry, version, extras), like {@link getAccessToken}. */
  getToken(account: string): Promise<ClientToken>;
  /** The cached token right now, valid or not; never calls the daemon. */
  peek(account: string): ClientToken | undefined;
  /**
   * Calls `cb` every time the client learns a different token for `account` (`'*'`: any
   * account), including the first load after registering. Returns the unsubscribe function.
   */
  onChange(account: string, cb: (token: ClientToken) => void): () => void;
  /** Daemon events (token, state, alert, sink) as they arrive. Returns the unsubscribe function. */
  onEvent(cb: (event: DaemonEvent) => void): () => void;
  /** Connection state changes. Returns the unsubscribe function. */
  onConnection(cb: (state: ConnectionState) => void): () => void;
  /**
   * The broker rejected the token: asks the daemon to drop it and refresh, and resolves with a
   * token NEWER than the rejected one (or rejects with a typed error).
   */
  invalidate(account: string, options?: InvalidateOptions): Promise<ClientToken>;
  /** Runs `fn(token)`; after an auth error (401/403) gets a newer token and retries `fn` once. */
  withToken<T>(account: string, fn: (accessToken: string) => Promise<T> | T, options?: WithTokenOptions): Promise<T>;
  /** Resolves when the push stream is connected and the cache re-read; rejects after `timeoutMs` (default 10 s). */
  ready(timeoutMs?: number): Promise<void>;
  readonly state: ConnectionState;
  stats(): TokensClientStats;
  /** Stops the stream and every timer; later calls throw CLOSED. */
  close(): Promise<void>;
}
