import type { ClientCore } from './client-core';
import { TokensClientError } from './errors';
import type { LineConnection } from './socket';
import type { TokensClientOptions } from './types';

/** The accounts the client keeps current, and the socket `subscribe` that follows them. */
export interface Subscriptions {
  /** Accounts asked for so far (options.accounts, then every account used). */
  readonly interest: Set<string>;
  /** Every account of the daemon is followed (`accounts: '*'` or onChange('*')). */
  readonly trackAll: boolean;
  tracked(account: string): boolean;
  /** Follows `account` from now on (resubscribes when it is new). */
  track(account: string): void;
  /** Follows every account from now on; false when it already did. */
  trackEverything(): boolean;
  /** Subscribes `c` to what the client tracks now (see the implementation). */
  subscribe(c: LineConnection): Promise<void>;
  /** Resubscribes the stream's connection once, after the current task. */
  queueResubscribe(): void;
  /** `account` was read: when the daemon refused to subscribe to it before, subscribe again. */
  readSucceeded(account: string): void;
}

export function createSubscriptions(core: ClientCore, accounts: TokensClientOptions['accounts']): Subscriptions {
  const { transport, requestTimeoutMs } = core.settings;
  const interest = new Set<string>(Array.isArray(accounts) ? accounts : []);
  let trackAll = accounts === '*';
  /** Tracked accounts the daemon refused to subscribe to (unknown to it). */
  let refused = new Set<string>();
  let subscriptions: Promise<unknown> = Promise.resolve();

  /**
   * Subscribes `c` to what the client tracks now. One at a time, each computed when it is sent,
   * so the last one the daemon sees is the current one. The daemon refuses a whole subscribe
   * naming an account it does not know (and keeps the previous filter): then the client asks for
   * the daemon's accounts and subscribes to the known ones; reads of the others fail with
   * UNKNOWN_ACCOUNT on their own.
   */
  const subscribe = (c: LineConnection): Promise<void> => {
    const run = async () => {
      if (core.conn !== c) return; // a connection that is gone (or replaced)
      const accounts = trackAll ? '*' : [...interest];
      try {
        await c.request({ op: 'subscribe', accounts }, requestTimeoutMs);
        refused = new Set();
        return;
      } catch (error) {
        if (accounts === '*' || !TokensClientError.isInstance(error) || error.code !== 'UNKNOWN_ACCOUNT') throw error;
      }
      const listed = (await c.request({ op: 'list' }, requestTimeoutMs)).accounts;
      const known = new Set(Array.isArray(listed) ? listed.map((a) => (a as { accountId?: unknown } | null)?.accountId).filter((a) => typeof a === 'string') : []);
      await c.request({ op: 'subscribe', accounts: accounts.filter((a) => known.has(a)) }, requestTimeoutMs);
      refused = new Set(accounts.filter((a) => !known.has(a)));
    };
    const p = subscriptions.then(run);
    subscriptions = p.catch(() => undefined);
    return p;
  };

  let resubscribeQueued = false;
  const queueResubscribe = () => {
    if (transport !== 'socket' || resubscribeQueued) return;
    resubscribeQueued = true;
    queueMicrotask(() => {
      resubscribeQueued = false;
      if (core.conn) subscribe(core.conn).catch(core.report);
    });
  };

  return {
    interest,
    get trackAll() {
      return trackAll;
    },
    tracked: (account) => trackAll || interest.has(account),
    track(account) {
      if (interest.has(account)) return;
      interest.add(account);
      if (!trackAll) queueResubscribe();
    },
    trackEverything() {
      if (trackAll) return false;
      trackAll = true;
      queueResubscribe();
      return true;
    },
    subscribe,
    queueResubscribe,
    readSucceeded(account) {
      // The daemon refused to subscribe to it before (unknown then, e.g. added by a config reload since).
      if (refused.delete(account)) queueResubscribe();
    },
  };
}
