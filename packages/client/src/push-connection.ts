import type { ClientCore } from './client-core';
import { closedError, describeCause, TokensClientError } from './errors';
import { openSocket, type Message } from './socket';
import { createSseParser, type SseMessage } from './sse';
import type { Subscriptions } from './subscriptions';
import { tokenFromSocket } from './token';
import type { TokenCache } from './token-cache';
import type { ClientToken, DaemonEvent } from './types';

/** The push stream (SSE or the Unix socket), kept open with reconnects and backoff. */
export interface PushConnection {
  /** Connected and every tracked account re-read since. */
  readonly synced: boolean;
  /** Ends once the client is closed and the stream is down. */
  readonly loop: Promise<void>;
  /** Re-reads every tracked account (after each (re)connect). Per-account failures are reported. */
  sync(): Promise<void>;
  /** Resolves when synced; rejects after `timeoutMs` saying why it is not connected. */
  ready(timeoutMs: number): Promise<void>;
  /** Rejects every ready() still waiting (close()). */
  rejectReadyWaiters(): void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * Opens the push stream at once and keeps it open until close(): reconnects with backoff and
 * re-reads every tracked account after each reconnect.
 */
export function startPushConnection(core: ClientCore, cache: TokenCache, subs: Subscriptions): PushConnection {
  const { options, http, closer, report } = core;
  const { transport, initialMs, maxMs, requestTimeoutMs, idleTimeoutMs, keepRefresh } = core.settings;
  let synced = false;
  let readyWaiters: Array<{ resolve: () => void; reject: (e: TokensClientError) => void }> = [];
  let lastEventId: string | undefined;

  const onSse = (m: SseMessage) => {
    if (m.id !== undefined) lastEventId = m.id;
    if (m.event === 'heartbeat') return;
    let data: unknown;
    try {
      data = JSON.parse(m.data);
    } catch {
      return report(new TokensClientError({ code: 'BAD_RESPONSE', message: `The daemon sent a "${m.event}" event that is not JSON; ignored.`, isRetryable: true }));
    }
    if (data === null || typeof data !== 'object') return;
    const event = { ...(data as Record<string, unknown>), type: m.event } as DaemonEvent;
    if (event.type === 'token' && typeof event.accountId === 'string') {
      core.counters.pushes++;
      const version = typeof event.version === 'number' ? event.version : Number.MAX_SAFE_INTEGER;
      if (subs.tracked(event.accountId)) {
        cache.announced.set(event.accountId, Math.max(cache.announced.get(event.accountId) ?? 0, version));
        void cache.catchUp(event.accountId);
      }
    }
    core.emitEvent(event);
  };

  const onSocketMessage = (m: Message) => {
    const { event, access_token: _a, refresh_token: _r, secret_extras: _s, ...rest } = m;
    if (event === 'token') {
      core.counters.pushes++;
      let token: ClientToken | undefined;
      try {
        token = tokenFromSocket(undefined, m, keepRefresh);
      } catch (error) {
        return report(error);
      }
      if (subs.tracked(token.account)) cache.accept(token);
      core.emitEvent({ ...rest, type: 'token', accountId: token.account, version: token.version, expiresAt: token.expiresAt } as DaemonEvent);
      return;
    }
    if (typeof event === 'string') core.emitEvent({ ...rest, type: event } as DaemonEvent);
  };

  const sync = async () => {
    const accounts = new Set(subs.interest);
    if (subs.trackAll && http) {
      const list = (await http.json('GET', '/v1/accounts')) as { accounts?: Array<{ accountId?: unknown; tokenValid?: unknown }> };
      for (const a of list?.accounts ?? []) if (typeof a.accountId === 'string' && a.tokenValid === true) accounts.add(a.accountId);
    }
    const results = await Promise.allSettled([...accounts].map((a) => cache.freshRead(a)));
    for (const r of results) if (r.status === 'rejected') report(r.reason);
  };

  const markSynced = () => {
    synced = true;
    const waiters = readyWaiters;
    readyWaiters = [];
    for (const w of waiters) w.resolve();
  };

  const runSse = async (onGood: () => void) => {
    const ctl = new AbortController();
    const stop = () => ctl.abort();
    closer.signal.addEventListener('abort', stop, { once: true });
    let idle: ReturnType<typeof setTimeout> | undefined;
    let idleError: TokensClientError | undefined;
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        idleError = new TokensClientError({ code: 'TIMEOUT', message: `No data from the daemon's event stream for ${idleTimeoutMs} ms; reconnecting.`, isRetryable: true });
        ctl.abort();
      }, idleTimeoutMs);
    };
    try {
      const response = await http!.events(ctl.signal, lastEventId);
      core.counters.connections++;
      core.setState('connected');
      armIdle();
      const parser = createSseParser(onSse);
      sync().then(
        () => {
          if (!ctl.signal.aborted) {
            markSynced();
            onGood();
          }
        },
        (error: unknown) => report(error),
      );
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          armIdle();
          parser.push(value);
        }
      } catch (error) {
        if (idleError) throw idleError;
        if (core.closed) return;
        if (error instanceof Error && error.message === 'event stream line too long') {
          throw new TokensClientError({ code: 'BAD_RESPONSE', message: 'The event stream sent an over-long line; reconnecting.', isRetryable: true });
        }
        throw new TokensClientError({ code: 'DAEMON_UNAVAILABLE', message: `The daemon's event stream broke (${describeCause(error)}).`, isRetryable: true, cause: error });
      } finally {
        reader.cancel().catch(() => undefined);
      }
      if (!core.closed) throw new TokensClientError({ code: 'DAEMON_UNAVAILABLE', message: 'The daemon ended the event stream.', isRetryable: true });
    } finally {
      clearTimeout(idle);
      closer.signal.removeEventListener('abort', stop);
      ctl.abort();
    }
  };

  const runSocket = async (onGood: () => void) => {
    const c = await openSocket({ path: options.socketPath!, apiToken: options.apiToken, timeoutMs: requestTimeoutMs, signal: closer.signal, onMessage: onSocketMessage });
    const pingEvery = Math.max(50, Math.floor(idleTimeoutMs / 3));
    const ping = setInterval(() => {
      c.request({ op: 'ping' }, Math.max(pingEvery, idleTimeoutMs - pingEvery)).catch(() => undefined);
    }, pingEvery);
    try {
      core.counters.connections++;
      core.setState('connected');
      // Set first: accounts added while this subscribe runs are subscribed right after it.
      core.conn = c;
      await subs.subscribe(c);
      await sync();
      markSynced();
      onGood();
      const reason = await c.ended;
      if (!core.closed) throw reason;
    } finally {
      clearInterval(ping);
      if (core.conn === c) core.conn = undefined;
      c.close();
    }
  };

  const loop = (async () => {
    let attempt = 0;
    while (!core.closed) {
      core.setState('connecting');
      try {
        await (transport === 'sse' ? runSse : runSocket)(() => (attempt = 0));
      } catch (error) {
        report(error);
      }
      synced = false;
      if (core.closed) break;
      core.setState('disconnected');
      const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
      attempt++;
      await sleep(base / 2 + Math.random() * (base / 2), closer.signal);
    }
  })();

  const ready = (timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e: TokensClientError) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        readyWaiters = readyWaiters.filter((w) => w !== waiter);
        const where = transport === 'sse' ? options.url : options.socketPath;
        const { lastError } = core;
        reject(
          new TokensClientError({
            code: lastError?.code ?? 'DAEMON_UNAVAILABLE',
            message: `Not connected to the daemon at ${where} after ${timeoutMs} ms${lastError ? `: ${lastError.message}` : '.'}`,
            isRetryable: lastError?.isRetryable ?? true,
            needsHuman: lastError?.needsHuman ?? false,
          }),
        );
      }, timeoutMs);
      readyWaiters.push(waiter);
    });

  return {
    get synced() {
      return synced;
    },
    loop,
    sync,
    ready,
    rejectReadyWaiters() {
      const waiters = readyWaiters;
      readyWaiters = [];
      for (const w of waiters) w.reject(closedError());
    },
  };
}
