import type { ClientCore } from './client-core';
import { closedError, toClientError, TokensClientError } from './errors';
import { assertAccount } from './options';
import type { Message } from './socket';
import type { Subscriptions } from './subscriptions';
import { isAuthError, tokenFromSocket } from './token';
import type { TokenCache } from './token-cache';
import type { ClientToken, InvalidateOptions, TokensClient, WithTokenOptions } from './types';

/**
 * `invalidate()`: the broker rejected a token; the daemon drops it and refreshes (HTTP
 * `invalidate` then `refresh`, or the socket ops of the same names), and the promise resolves
 * with a token newer than the rejected one. One run per account at a time.
 */
export function createInvalidate(core: ClientCore, cache: TokenCache, subs: Subscriptions): TokensClient['invalidate'] {
  const { http, closer, options } = core;
  const { now, invalidateTimeoutMs, keepRefresh } = core.settings;
  const invalidations = new Map<string, Promise<ClientToken>>();

  const waitForNewer = (account: string, isNewer: (t: ClientToken) => boolean, timeoutMs: number): Promise<ClientToken> =>
    new Promise<ClientToken>((resolve, reject) => {
      const set = core.changeListeners.get(account) ?? new Set();
      core.changeListeners.set(account, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(cb);
        closer.signal.removeEventListener('abort', onClose);
      };
      const cb = (t: ClientToken) => {
        if (!isNewer(t)) return;
        done();
        resolve(t);
      };
      const onClose = () => {
        done();
        reject(closedError());
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new TokensClientError({
            code: 'NO_NEWER_TOKEN',
            message: `No token newer than the rejected one arrived for "${account}" within ${invalidateTimeoutMs} ms.`,
            isRetryable: true,
            account,
          }),
        );
      }, Math.max(0, timeoutMs));
      set.add(cb);
      closer.signal.addEventListener('abort', onClose, { once: true });
    });

  /** Socket `invalidate` (marks `rejected` bad) or `refresh`; both answer with the daemon's token after it refreshed. */
  const socketReplace = async (account: string, op: 'invalidate' | 'refresh', rejected: string | undefined, timeoutMs: number): Promise<ClientToken> => {
    let answer: Message;
    try {
      // A slow broker must not cost the push stream its connection.
      answer = await core.socketCall({ op, account, ...(op === 'invalidate' && rejected !== undefined ? { access_token: rejected } : {}) }, timeoutMs, true);
    } catch (error) {
      throw socketReplaceError(toClientError(error), account, op);
    }
    const t = tokenFromSocket(account, answer, keepRefresh);
    if (core.closed) throw closedError();
    cache.accept(t);
    return t;
  };

  const socketReplaceError = (e: TokensClientError, account: string, op: string): TokensClientError => {
    const where = options.socketPath!;
    if (e.code === 'UNKNOWN_OP') {
      return new TokensClientError({
        code: 'UNKNOWN_OP',
        message: `The daemon at ${where} has no socket op "${op}" (it is older than this client): update the daemon, or pass \`url\` too so invalidate() uses HTTP.`,
        isRetryable: false,
        needsHuman: true,
        account,
        cause: e,
      });
    }
    if (e.code === 'CLOSED' || e.code === 'DAEMON_UNAVAILABLE' || e.code === 'UNAUTHORIZED') return e;
    const message = e.code === 'TIMEOUT' ? `the daemon's socket ${where} did not answer "${op}" in time` : e.message;
    return new TokensClientError({
      code: e.code,
      message: `The daemon could not replace the rejected token of "${account}" (${op}: ${message.replace(/\.$/, '')}).`,
      isRetryable: e.isRetryable,
      needsHuman: e.needsHuman,
      account,
      cause: e,
    });
  };

  const runInvalidate = async (account: string, rejectedToken: string | undefined): Promise<ClientToken> => {
    const deadline = now() + invalidateTimeoutMs;
    const cur = cache.entries.get(account);
    const baseline = cur && (rejectedToken === undefined || rejectedToken === cur.token.accessToken) ? cur.token.version : -1;
    const rejected = rejectedToken ?? cur?.token.accessToken;
    const isNewer = (t: ClientToken) => t.version > baseline && t.accessToken !== rejected;
    if (cur && rejected === cur.token.accessToken) cur.rejected = true;
    const remaining = () => Math.max(1, deadline - now());
    const path = `/v1/accounts/${encodeURIComponent(account)}`;
    if (http) {
      await http.json('POST', `${path}/invalidate`, { body: rejected !== undefined ? { accessToken: rejected } : {} });
      // The daemon now refreshes on the next read (or hands out the newer token it already has).
      let t = await cache.freshRead(account);
      if (isNewer(t)) return t;
      await http.json('POST', `${path}/refresh`, { timeoutMs: remaining() });
      t = await cache.freshRead(account);
      if (isNewer(t)) return t;
    } else {
      // The socket's `invalidate` answers with the token the daemon has after refreshing; a
      // forced `refresh` covers a daemon whose token is still not newer than ours.
      for (const op of ['invalidate', 'refresh'] as const) {
        const t = await socketReplace(account, op, rejected, remaining());
        if (isNewer(t)) return t;
      }
    }
    const latest = cache.entries.get(account)?.token;
    if (latest && isNewer(latest)) return latest;
    return waitForNewer(account, isNewer, remaining());
  };

  return async (account, opts: InvalidateOptions = {}) => {
    if (core.closed) throw closedError();
    assertAccount(account);
    subs.track(account);
    const cur = cache.entries.get(account);
    // The rejected token is already replaced here: nothing to ask.
    if (opts.accessToken !== undefined && cur && cur.token.accessToken !== opts.accessToken && !cur.rejected && cache.usable(cur.token)) return cur.token;
    const running = invalidations.get(account);
    if (running) {
      const t = await running;
      if (opts.accessToken === undefined || t.accessToken !== opts.accessToken) return t;
    }
    const p = runInvalidate(account, opts.accessToken)
      .catch((error: unknown) => {
        throw toClientError(error).withAccount(account);
      })
      .finally(() => {
        if (invalidations.get(account) === p) invalidations.delete(account);
      });
    invalidations.set(account, p);
    return p;
  };
}

/** `withToken()`: runs `fn(token)`; after an auth error, invalidates and retries `fn` once. */
export async function withToken<T>(client: TokensClient, account: string, fn: (accessToken: string) => Promise<T> | T, opts: WithTokenOptions = {}): Promise<T> {
  const token = await client.getAccessToken(account);
  try {
    return await fn(token);
  } catch (error) {
    if (!(opts.isAuthError ?? isAuthError)(error)) throw error;
    const fresh = await client.invalidate(account, { accessToken: token });
    return fn(fresh.accessToken);
  }
}
