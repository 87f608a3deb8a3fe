import { createClientCore } from './client-core';
import { closedError, toClientError } from './errors';
import { createInvalidate, withToken as runWithToken } from './invalidate';
import { assertAccount, invalidOption, resolveOptions } from './options';
import { startPushConnection } from './push-connection';
import { createSubscriptions } from './subscriptions';
import { createTokenCache } from './token-cache';
import type { ClientToken, TokensClient, TokensClientOptions, TokensClientStats } from './types';

/**
 * A client of the tokens daemon. Keeps a local cache of the accounts it is asked for, kept
 * current by the daemon's push stream (SSE or the Unix socket); reconnects with backoff and
 * re-reads every cached account after each reconnect. See the README for the protocol.
 *
 * The parts: `options` (checks and defaults), `client-core` (shared state, listeners, daemon
 * calls), `token-cache` (the token store and reads), `subscriptions` (what is tracked, socket
 * `subscribe`), `push-connection` (the stream, reconnects and backoff), `invalidate`
 * (`invalidate()` and `withToken()`).
 */
export function createTokensClient(options: TokensClientOptions): TokensClient {
  const settings = resolveOptions(options);
  const { now, skew } = settings;
  const core = createClientCore(options, settings);
  const subs = createSubscriptions(core, options.accounts);
  const cache = createTokenCache(core, subs.readSucceeded);
  const push = startPushConnection(core, cache, subs);
  const invalidate = createInvalidate(core, cache, subs);
  const { entries } = cache;

  const ensureOpen = () => {
    if (core.closed) throw closedError();
  };

  const getToken = async (account: string): Promise<ClientToken> => {
    ensureOpen();
    assertAccount(account);
    subs.track(account);
    const cur = entries.get(account);
    if (cur && !cur.rejected && cache.usable(cur.token)) return cur.token;
    try {
      return await cache.read(account);
    } catch (error) {
      throw cache.noValidToken(account, toClientError(error).withAccount(account));
    }
  };

  const client: TokensClient = {
    getAccessToken(account) {
      // Hot path: one map lookup and one comparison.
      const cur = entries.get(account);
      if (cur !== undefined && !cur.rejected && cur.token.expiresAt - skew > now() && !core.closed) return Promise.resolve(cur.token.accessToken);
      return getToken(account).then((t) => t.accessToken);
    },
    getToken,
    peek(account) {
      return entries.get(account)?.token;
    },
    onChange(account, cb) {
      if (account !== '*') assertAccount(account);
      if (typeof cb !== 'function') throw invalidOption('onChange needs a callback.');
      ensureOpen();
      const set = core.changeListeners.get(account) ?? new Set();
      core.changeListeners.set(account, set);
      set.add(cb);
      if (account === '*') {
        if (subs.trackEverything() && core.http && push.synced) push.sync().catch(core.report);
      } else {
        subs.track(account);
        if (!entries.has(account) && push.synced) cache.read(account).catch(core.report);
      }
      return () => {
        set.delete(cb);
      };
    },
    onEvent(cb) {
      core.eventListeners.add(cb);
      return () => {
        core.eventListeners.delete(cb);
      };
    },
    onConnection(cb) {
      core.connectionListeners.add(cb);
      return () => {
        core.connectionListeners.delete(cb);
      };
    },
    invalidate,
    withToken(account, fn, opts) {
      return runWithToken(client, account, fn, opts);
    },
    ready(timeoutMs = 10_000) {
      if (core.closed) return Promise.reject(closedError());
      if (push.synced) return Promise.resolve();
      return push.ready(timeoutMs);
    },
    get state() {
      return core.state;
    },
    stats(): TokensClientStats {
      const { state, counters, lastError } = core;
      return { state, ...counters, ...(lastError ? { lastError: `${lastError.code}: ${lastError.message}` } : {}) };
    },
    async close() {
      if (core.closed) return;
      core.closed = true;
      core.closer.abort();
      core.conn?.close();
      push.rejectReadyWaiters();
      await push.loop;
      core.setState('closed');
      entries.clear();
      core.changeListeners.clear();
      core.eventListeners.clear();
      core.connectionListeners.clear();
    },
  };
  return client;
}
