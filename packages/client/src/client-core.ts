import { toClientError, type TokensClientError } from './errors';
import { createHttpApi, type HttpApi } from './http';
import type { ClientSettings } from './options';
import { openSocket, type LineConnection, type Message } from './socket';
import type { ClientToken, ConnectionState, DaemonEvent, TokensClientOptions } from './types';

/**
 * What every part of one client shares: its settings, the ways to reach the daemon, the
 * listeners, the connection state and the counters. Created once by `createTokensClient`.
 */
export interface ClientCore {
  readonly options: TokensClientOptions;
  readonly settings: ClientSettings;
  /** Aborted by close(): stops the stream, requests and every timer. */
  readonly closer: AbortController;
  /** Present when `url` was given: reads and invalidate() then use HTTP. */
  readonly http: HttpApi | undefined;
  closed: boolean;
  state: ConnectionState;
  lastError: TokensClientError | undefined;
  /** The push stream's socket connection, while there is one. */
  conn: LineConnection | undefined;
  readonly counters: { connections: number; reads: number; pushes: number };
  /** Per account, and `'*'` for every account. */
  readonly changeListeners: Map<string, Set<(t: ClientToken) => void>>;
  readonly eventListeners: Set<(e: DaemonEvent) => void>;
  readonly connectionListeners: Set<(s: ConnectionState) => void>;
  /** Records a background failure and hands it to options.onError (never throws). */
  report(error: unknown): void;
  setState(next: ConnectionState): void;
  emitEvent(event: DaemonEvent): void;
  /** One socket request: on the stream's connection when there is one, else on a short-lived one. */
  socketCall(msg: Message, timeoutMs: number, keepOnTimeout?: boolean): Promise<Message>;
}

export function createClientCore(options: TokensClientOptions, settings: ClientSettings): ClientCore {
  const closer = new AbortController();
  const http: HttpApi | undefined = options.url
    ? createHttpApi({ url: options.url, apiToken: options.apiToken, fetch: settings.fetch, timeoutMs: settings.requestTimeoutMs, closed: closer.signal })
    : undefined;

  const core: ClientCore = {
    options,
    settings,
    closer,
    http,
    closed: false,
    state: 'connecting',
    lastError: undefined,
    conn: undefined,
    counters: { connections: 0, reads: 0, pushes: 0 },
    changeListeners: new Map(),
    eventListeners: new Set(),
    connectionListeners: new Set(),

    report(error) {
      const e = toClientError(error);
      core.lastError = e;
      if (core.closed) return;
      try {
        options.onError?.(e);
      } catch {
        // a broken onError must not break the client
      }
    },

    setState(next) {
      if (core.state === next) return;
      core.state = next;
      for (const l of [...core.connectionListeners]) {
        try {
          l(next);
        } catch (error) {
          core.report(error);
        }
      }
    },

    emitEvent(event) {
      for (const l of [...core.eventListeners]) {
        try {
          l(event);
        } catch (error) {
          core.report(error);
        }
      }
    },

    async socketCall(msg, timeoutMs, keepOnTimeout = false) {
      if (core.conn) return core.conn.request(msg, timeoutMs, { keepOnTimeout });
      const c = await openSocket({ path: options.socketPath!, apiToken: options.apiToken, timeoutMs: settings.requestTimeoutMs, signal: closer.signal });
      try {
        return await c.request(msg, timeoutMs);
      } finally {
        c.close();
      }
    },
  };
  return core;
}
