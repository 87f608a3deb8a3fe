import type { ClientCore } from './client-core';
import { closedError, toClientError, TokensClientError } from './errors';
import { tokenFromHttp, tokenFromSocket } from './token';
import type { ClientToken } from './types';

export interface CacheEntry {
  token: ClientToken;
  /** The broker rejected this token (invalidate()); never served from the cache again. */
  rejected: boolean;
}

/** The local token store: what the client holds per account, and reads from the daemon. */
export interface TokenCache {
  readonly entries: Map<string, CacheEntry>;
  /** Highest version a push announced per account (SSE events carry no token). */
  readonly announced: Map<string, number>;
  /** Not within `expirySkewMs` of its expiry. */
  usable(t: ClientToken): boolean;
  /** Stores `token` unless it is older than what we hold; fires onChange when it differs. */
  accept(token: ClientToken): void;
  /** Reads `account` from the daemon (single flight) and stores the answer. */
  read(account: string): Promise<ClientToken>;
  /** A read that starts after now (an older one in flight may carry an older token). */
  freshRead(account: string): Promise<ClientToken>;
  /** After a push announced a version: read until the cache has it (a few rounds at most). */
  catchUp(account: string): Promise<void>;
  /** `error` (a failed read) said in terms of the cached token that could not be served. */
  noValidToken(account: string, error: TokensClientError): TokensClientError;
}

/** `afterRead` runs after each successful read has been stored. */
export function createTokenCache(core: ClientCore, afterRead: (account: string) => void): TokenCache {
  const { http } = core;
  const { now, skew, keepRefresh, requestTimeoutMs } = core.settings;
  const entries = new Map<string, CacheEntry>();
  const announced = new Map<string, number>();
  const reads = new Map<string, Promise<ClientToken>>();

  const usable = (t: ClientToken) => t.expiresAt - skew > now();

  const accept = (token: ClientToken): void => {
    const cur = entries.get(token.account);
    if (cur) {
      const older = token.version < cur.token.version;
      // An older version only replaces a dead one (e.g. the daemon's store was reset).
      if (older && usable(cur.token) && !cur.rejected) return;
      if (token.version === cur.token.version && token.accessToken === cur.token.accessToken) {
        entries.set(token.account, { token, rejected: cur.rejected });
        return;
      }
    }
    entries.set(token.account, { token, rejected: false });
    for (const key of [token.account, '*']) {
      const set = core.changeListeners.get(key);
      if (!set) continue;
      for (const cb of [...set]) {
        try {
          cb(token);
        } catch (error) {
          core.report(error);
        }
      }
    }
  };

  const socketGet = async (account: string): Promise<ClientToken> =>
    tokenFromSocket(account, await core.socketCall({ op: 'get', account }, requestTimeoutMs), keepRefresh);

  const read = (account: string): Promise<ClientToken> => {
    const inflight = reads.get(account);
    if (inflight) return inflight;
    const p = (async () => {
      if (core.closed) throw closedError();
      core.counters.reads++;
      const token = http
        ? tokenFromHttp(account, await http.json('GET', `/v1/accounts/${encodeURIComponent(account)}/token${keepRefresh ? '?include=refresh' : ''}`), keepRefresh)
        : await socketGet(account);
      if (core.closed) throw closedError();
      accept(token);
      afterRead(account);
      return token;
    })()
      .catch((error: unknown) => {
        throw toClientError(error).withAccount(account);
      })
      .finally(() => {
        if (reads.get(account) === p) reads.delete(account);
      });
    reads.set(account, p);
    return p;
  };

  const freshRead = async (account: string): Promise<ClientToken> => {
    const inflight = reads.get(account);
    if (inflight) await inflight.catch(() => undefined);
    return read(account);
  };

  const catchUp = async (account: string) => {
    for (let round = 0; round < 3 && !core.closed; round++) {
      const want = announced.get(account) ?? 0;
      const have = entries.get(account)?.token.version ?? -1;
      if (have >= want) return;
      try {
        await (round === 0 ? read(account) : freshRead(account));
      } catch (error) {
        core.report(error);
        return;
      }
    }
  };

  const noValidToken = (account: string, error: TokensClientError): TokensClientError => {
    const cur = entries.get(account);
    if (!cur) return error;
    const why = cur.rejected ? 'the cached one was rejected by the broker' : `the cached one expired at ${new Date(cur.token.expiresAt).toISOString()}`;
    return new TokensClientError({
      code: error.code,
      message: `No valid token for "${account}": ${why}, and ${error.message.charAt(0).toLowerCase()}${error.message.slice(1)}`,
      isRetryable: error.isRetryable,
      needsHuman: error.needsHuman,
      account,
      ...(error.status !== undefined ? { status: error.status } : {}),
      cause: error,
    });
  };

  return { entries, announced, usable, accept, read, freshRead, catchUp, noValidToken };
}
