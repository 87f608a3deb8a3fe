import type { LeaseV1 } from '../contracts/lock';
import type { StoredTokenV1, TokenSetV1 } from '../contracts/token-set';
import { BrokerApiError, StoreConflictError, TokensError, toTokensError } from '../errors';
import { assertValidTokenSet, normalizeTokenSet } from '../token-set';
import type { AccountRuntime } from './account-runtime';
import { backoffDelay } from './schedule';
import type { RefreshSource } from './types';

function usable(a: AccountRuntime, record: StoredTokenV1 | undefined, badVersion: number | undefined): record is StoredTokenV1 {
  if (!record || record.version === badVersion) return false;
  return record.tokenSet.expiresAt - a.ctx.expirySkewMs > a.ctx.clock.now();
}

/** Rejects when `signal` aborts even if the adapter ignores it. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

async function callAdapter(a: AccountRuntime, current: TokenSetV1 | undefined): Promise<TokenSetV1> {
  const { ctx } = a;
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(a.abort.signal.reason);
  a.abort.signal.addEventListener('abort', onParentAbort, { once: true });
  const timer = ctx.clock.setTimeout(
    () =>
      controller.abort(
        new TokensError({
          message: `${a.broker} did not answer within ${ctx.refreshTimeoutMs} ms.`,
          code: 'NETWORK_ERROR',
          isRetryable: true,
        }),
      ),
    ctx.refreshTimeoutMs,
  );
  try {
    const now = ctx.clock.now();
    const input = { accountId: a.id, signal: controller.signal, now, ...(current ? { current } : {}) };
    const result = await raceAbort(a.adapter.doRefresh(input), controller.signal);
    assertValidTokenSet(result, ctx.clock.now(), `${a.broker} adapter`);
    return normalizeTokenSet(result, now);
  } finally {
    ctx.clock.clearTimeout(timer);
    a.abort.signal.removeEventListener('abort', onParentAbort);
  }
}

/**
 * Persist before publish, with CAS. Returns undefined when the store is down: the new token
 * (and a rotated refresh token) then stays in memory, persistence is retried, and a critical
 * alert fires.
 */
export async function persist(
  a: AccountRuntime,
  tokenSet: TokenSetV1,
  expectedVersion: number,
  fencingToken: number | undefined,
): Promise<StoredTokenV1 | undefined> {
  const { ctx } = a;
  const input = { broker: a.broker, tokenSet };
  // Our own write echoes back through the store's watch; the writer publishes it, not the echo.
  a.writes++;
  try {
    try {
      return await ctx.store.put(a.id, input, { expectedVersion, fencingToken });
    } catch (error) {
      if (!StoreConflictError.isInstance(error)) throw error;
      // Someone wrote since we read. A newer usable token wins; otherwise write on top of it.
      const latest = await ctx.store.get(a.id);
      if (usable(a, latest, undefined) && latest.tokenSet.issuedAt >= tokenSet.issuedAt) {
        a.counters.adoptions++;
        return latest;
      }
      return await ctx.store.put(a.id, input, { expectedVersion: latest?.version ?? 0, fencingToken });
    }
  } catch (raw) {
    const error = toTokensError(raw, 'STORE_ERROR');
    const now = ctx.clock.now();
    a.pending = { tokenSet, attempts: (a.pending?.attempts ?? 0) + 1, nextAt: now + 1_000 };
    ctx.logger.error({ accountId: a.id, broker: a.broker, code: error.code }, 'store write failed; new token kept in memory');
    a.alert(
      'persist_failed',
      'critical',
      `${a.name}: could not save the new token`,
      `The store refused the write (${error.code}: ${error.message}). The new token is kept in memory and saving is retried; if this process stops now, ${tokenSet.refreshToken ? 'the rotated refresh token is lost and ' : ''}a login may be needed.`,
      `${a.id}:persist_failed`,
    );
    return undefined;
  } finally {
    // Released after the caller's synchronous publish has had its chance (see watch in the manager).
    queueMicrotask(() => a.writes--);
  }
}

/**
 * Extends the lease while the broker call runs, so a slow broker (or a stalled host) never lets
 * the lease lapse mid-refresh and hand a second process the same refresh token.
 */
async function withLeaseKeptAlive<T>(a: AccountRuntime, lease: LeaseV1, fn: () => Promise<T>): Promise<T> {
  const { ctx } = a;
  const every = Math.max(50, Math.floor(ctx.lockTtlMs / 3));
  let timer: ReturnType<typeof ctx.clock.setTimeout> | undefined;
  let done = false;
  const tick = () => {
    if (done) return;
    void lease.extend(ctx.lockTtlMs).catch(() => false);
    timer = ctx.clock.setTimeout(tick, every);
  };
  timer = ctx.clock.setTimeout(tick, every);
  try {
    return await fn();
  } finally {
    done = true;
    if (timer) ctx.clock.clearTimeout(timer);
  }
}

export interface RefreshOptions {
  /** Refresh even if the stored token is still good (a manual refresh). */
  force?: boolean;
  /** A caller waits on this refresh: it goes ahead of scheduled ones in the refresh-slot queue. */
  urgent?: boolean;
}

/** slot → lock → re-read → adopt a newer token → else refresh → write → unlock. */
export async function runRefreshFlow(a: AccountRuntime, source: RefreshSource, options: RefreshOptions): Promise<StoredTokenV1 | undefined> {
  const { ctx } = a;
  let started = ctx.clock.now();
  const decidedVersion = a.record?.version ?? 0;
  const badVersion = a.invalidatedVersion;
  let lease: LeaseV1 | undefined;
  let freeSlot: (() => void) | undefined;
  try {
    // Taken before the lock: a queued refresh must not hold a lease other processes wait on.
    const ticket = ctx.slots.request(options.urgent === true, a.abort.signal);
    a.promoteRefresh = ticket.promote;
    try {
      freeSlot = await ticket.ready;
    } finally {
      a.promoteRefresh = undefined;
    }
    started = ctx.clock.now(); // durations measure the refresh, not the queue
    lease = await ctx.lock.acquire(a.id, { ttlMs: ctx.lockTtlMs, waitMs: ctx.lockTtlMs + ctx.refreshTimeoutMs, signal: a.abort.signal });
    const stored = await ctx.store.get(a.id);
    if (stored && stored.version !== decidedVersion && usable(a, stored, badVersion)) {
      a.counters.adoptions++;
      ctx.logger.info({ accountId: a.id, broker: a.broker, version: stored.version }, 'adopted a token another process refreshed');
      a.publish(stored, 'adopted');
      ctx.emitter.emit('refresh', { accountId: a.id, broker: a.broker, ok: true, source, durationMs: ctx.clock.now() - started, adopted: true });
      return stored;
    }
    // The scheduled or on-demand need may have been met while we waited for our own lock.
    if (!options.force && source !== 'schedule' && source !== 'retry' && usable(a, stored, badVersion) && stored.version === a.record?.version && a.tokenUsable()) {
      return stored;
    }
    ctx.logger.debug({ accountId: a.id, broker: a.broker, source }, 'refreshing');
    // An unpersisted token holds the newest (possibly rotated) refresh token: it wins.
    const newest = [a.pending?.tokenSet, stored?.tokenSet, a.record?.tokenSet]
      .filter((t): t is TokenSetV1 => t !== undefined)
      .sort((x, y) => y.issuedAt - x.issuedAt)[0];
    const tokenSet = await withLeaseKeptAlive(a, lease, () => callAdapter(a, newest));
    const record = await persist(a, tokenSet, stored?.version ?? 0, lease.fencingToken);
    a.counters.refreshes++;
    a.lastRefresh = { at: ctx.clock.now(), ok: true, durationMs: ctx.clock.now() - started, source };
    a.lastError = undefined;
    ctx.emitter.emit('refresh', { accountId: a.id, broker: a.broker, ok: true, source, durationMs: ctx.clock.now() - started, adopted: false });
    if (record) {
      ctx.logger.info({ accountId: a.id, broker: a.broker, version: record.version, expiresAt: record.tokenSet.expiresAt, source }, 'token refreshed');
      if (ctx.notifyOnRefresh) {
        a.alert('refresh_succeeded', 'info', `${a.name}: token refreshed`, `New token valid until ${a.when(record.tokenSet.expiresAt)}.`, `${a.id}:refresh_succeeded:${record.version}`);
      }
      // Stores hand back copies: compare the token, not the object.
      a.publish(record, record.tokenSet.accessToken.reveal() === tokenSet.accessToken.reveal() ? 'refresh' : 'adopted');
    }
    return record;
  } catch (raw) {
    const error = toTokensError(raw);
    const retryAfterMs = BrokerApiError.isInstance(error) ? error.retryAfterMs : undefined;
    const remaining = a.record ? a.record.tokenSet.expiresAt - ctx.clock.now() : undefined;
    ctx.logger.warn({ accountId: a.id, broker: a.broker, source, code: error.code, retryable: error.isRetryable, needsHuman: error.needsHuman }, 'refresh failed');
    a.recordFailure(error, retryAfterMs, (attempt) => backoffDelay(attempt, ctx.backoff, ctx.random, retryAfterMs, remaining));
    if (a.lastRefresh) a.lastRefresh = { ...a.lastRefresh, source, durationMs: ctx.clock.now() - started };
    ctx.emitter.emit('refresh', { accountId: a.id, broker: a.broker, ok: false, source, durationMs: ctx.clock.now() - started, adopted: false, error: a.lastError });
    throw error;
  } finally {
    if (lease) await lease.release().catch((e) => ctx.logger.warn({ accountId: a.id, code: toTokensError(e).code }, 'lock release failed'));
    freeSlot?.();
  }
}

/** Retries writing a token the store refused earlier. */
export async function retryPersistFlow(a: AccountRuntime): Promise<void> {
  const pending = a.pending;
  if (!pending) return;
  const { ctx } = a;
  pending.nextAt = Number.POSITIVE_INFINITY; // guards against a second concurrent retry
  let lease: LeaseV1 | undefined;
  try {
    lease = await ctx.lock.acquire(a.id, { ttlMs: ctx.lockTtlMs, waitMs: ctx.lockTtlMs + ctx.refreshTimeoutMs, signal: a.abort.signal });
    const stored = await ctx.store.get(a.id);
    const record =
      stored && stored.tokenSet.issuedAt > pending.tokenSet.issuedAt
        ? stored
        : await ctx.store.put(a.id, { broker: a.broker, tokenSet: pending.tokenSet }, { expectedVersion: stored?.version ?? 0, fencingToken: lease.fencingToken });
    a.pending = undefined;
    ctx.logger.info({ accountId: a.id, version: record.version }, 'pending token persisted');
    a.publish(record, 'refresh');
  } catch (raw) {
    const error = toTokensError(raw, 'STORE_ERROR');
    pending.attempts++;
    pending.nextAt = ctx.clock.now() + Math.min(60_000, 1_000 * 2 ** Math.min(pending.attempts, 6));
    ctx.logger.warn({ accountId: a.id, attempts: pending.attempts, code: error.code }, 'pending token still not persisted');
  } finally {
    if (lease) await lease.release().catch(() => undefined);
    a.evaluate();
  }
}
