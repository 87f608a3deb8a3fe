import type { LeaseV1 } from '../contracts/lock';
import type { TokenSetV1 } from '../contracts/token-set';
import { InvalidInputError, toTokensError } from '../errors';
import { assertValidTokenSet, normalizeTokenSet } from '../token-set';
import type { AccountRuntime } from './account-runtime';
import { persist } from './refresh-flow';

/**
 * Finishes a human login. The human step happened before this call, so the lock is held only
 * for the store write, never across the browser round trip.
 */
export async function completeLogin(
  a: AccountRuntime,
  input: { callbackParams?: Record<string, string>; pasted?: string; redirectUri?: string },
): Promise<void> {
  const { ctx } = a;
  const login = a.adapter.login;
  if (!login) throw new InvalidInputError({ code: 'LOGIN_NOT_SUPPORTED', message: `${a.broker} has no interactive login.` });
  let params = input.callbackParams;
  if (!params && input.pasted !== undefined) {
    if (!login.parsePasted) {
      throw new InvalidInputError({ field: 'pasted', message: `${a.broker} does not accept pasted logins; finish through the callback URL.` });
    }
    params = login.parsePasted(input.pasted);
  }
  if (!params) throw new InvalidInputError({ field: 'callbackParams', message: 'Pass the callback parameters or the pasted redirect URL.' });

  const now = ctx.clock.now();
  let tokenSet;
  try {
    const raw = await login.doExchange({
      accountId: a.id,
      callbackParams: params,
      signal: a.abort.signal,
      now,
      ...(input.redirectUri ? { redirectUri: input.redirectUri } : {}),
    });
    assertValidTokenSet(raw, ctx.clock.now(), `${a.broker} login`);
    tokenSet = normalizeTokenSet(raw, now);
  } catch (raw) {
    const error = toTokensError(raw);
    ctx.logger.warn({ accountId: a.id, broker: a.broker, code: error.code }, 'login exchange failed');
    throw error;
  }

  await installTokenSet(a, tokenSet, 'login');
}

/**
 * Stores a token set that arrived from outside the refresh path (a human login, an imported
 * file, a token pasted into `.env`) and publishes it: lock → write with CAS → unlock.
 */
export async function installTokenSet(a: AccountRuntime, tokenSet: TokenSetV1, source: 'login' | 'import'): Promise<void> {
  const { ctx } = a;
  let lease: LeaseV1 | undefined;
  try {
    lease = await ctx.lock.acquire(a.id, { ttlMs: ctx.lockTtlMs, waitMs: ctx.lockTtlMs + ctx.refreshTimeoutMs });
    const stored = await ctx.store.get(a.id).catch(() => undefined);
    const record = await persist(a, tokenSet, stored?.version ?? 0, lease.fencingToken);
    if (source === 'login') a.counters.logins++;
    a.escalationsSent.clear();
    ctx.dispatcher.reset(`${a.id}:`);
    if (record) a.publish(record, 'login');
    else a.needsHuman = false;
    ctx.logger.info({ accountId: a.id, broker: a.broker, persisted: Boolean(record), source }, source === 'login' ? 'login completed' : 'token imported');
  } finally {
    if (lease) await lease.release().catch(() => undefined);
    a.evaluate();
  }
}

/** Validates and installs a token set supplied by the caller. */
export async function importTokenSet(a: AccountRuntime, raw: TokenSetV1): Promise<void> {
  const now = a.ctx.clock.now();
  assertValidTokenSet(raw, now, 'imported token set');
  await installTokenSet(a, normalizeTokenSet(raw, now), 'import');
}
