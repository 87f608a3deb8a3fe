import type { ClockV1 } from '../contracts/clock';
import type { StoredTokenV1, TokenSetV1 } from '../contracts/token-set';
import type { ValidateResultV1 } from '../contracts/broker-adapter';
import { assertAccountId } from '../account-id';
import { createSystemClock } from '../clock/system-clock';
import { createMemoryLock } from '../locks/memory-lock';
import { InvalidConfigError, InvalidInputError, TokensError, TokenUnavailableError, toTokensError } from '../errors';
import { AccountRuntime, summarize } from './account-runtime';
import { createAlertDispatcher, type SinkStatus } from './alert-dispatcher';
import { noopLogger, type EngineContext } from './context';
import { createEmitter } from './emitter';
import { createRefreshSlots } from './refresh-slots';
import { DEFAULT_ESCALATION } from './escalation';
import { completeLogin, importTokenSet } from './login-flow';
import type { AlertInput } from './alert-dispatcher';
import { DEFAULT_BACKOFF, DEFAULT_REFRESH_AHEAD } from './schedule';
import type { AccountConfig, AccountStatus, TokenManagerEvents, TokenManagerOptions } from './types';

export interface WithTokenOptions {
  /** Decides whether `fn` failed because the broker rejected the token. Default: {@link isAuthError}. */
  isAuthError?: (error: unknown) => boolean;
}

function refreshSlotLimit(value: number | undefined): number {
  if (value === undefined) return 16;
  if (Number.isInteger(value) && value >= 1) return value;
  throw new InvalidConfigError({ issues: [{ path: 'maxConcurrentRefreshes', message: `must be a whole number of at least 1 (got ${String(value)}); leave it out for the default of 16.` }] });
}

/** 401/403 from a broker, in the shapes common HTTP clients and SDKs use. */
export function isAuthError(error: unknown): boolean {
  if (error == null || typeof error !== 'object') return false;
  const e = error as Record<string, unknown> & { response?: { status?: unknown } };
  if (e.isAuthError === true) return true;
  const status = e.statusCode ?? e.status ?? e.response?.status;
  return status === 401 || status === 403;
}

export interface TokenManager {
  /** Registers an account, loads its stored token and schedules it. Replaces an account with the same id. */
  addAccount(config: AccountConfig): Promise<AccountStatus>;
  removeAccount(accountId: string): Promise<boolean>;
  accounts(): string[];
  /** A valid access token, from memory when possible; refreshes (single flight) when needed. */
  getAccessToken(accountId: string): Promise<string>;
  /** The full token set (extras such as base URL or sid), refreshed like getAccessToken. */
  getTokenSet(accountId: string): Promise<TokenSetV1>;
  /** Runs `fn(token)`; on an auth error: invalidate, refresh once, retry `fn` once. */
  withToken<T>(accountId: string, fn: (accessToken: string) => Promise<T> | T, options?: WithTokenOptions): Promise<T>;
  /** Refreshes now when due (or always with `force`), sharing any refresh in flight. */
  refresh(accountId: string, options?: { force?: boolean }): Promise<AccountStatus>;
  /** Probes the broker with the current token; an invalid token triggers a refresh or a login request. */
  validate(accountId: string): Promise<ValidateResultV1>;
  /** Marks a token as rejected by the broker; the next caller gets a fresh one. */
  invalidate(accountId: string, accessToken?: string): void;
  /** The URL a human opens to log in. `state` must be signed and checked by the caller's callback. */
  authorizeUrl(accountId: string, input: { state: string; redirectUri?: string }): Promise<string>;
  /** Finishes a human login with the callback params (or a pasted redirect URL parsed by the adapter). */
  completeLogin(accountId: string, input: { callbackParams?: Record<string, string>; pasted?: string; redirectUri?: string }): Promise<AccountStatus>;
  /** Installs a token obtained elsewhere (an imported token file, a token pasted into `.env`). */
  importTokenSet(accountId: string, tokenSet: TokenSetV1): Promise<AccountStatus>;
  /** Sends an alert through the manager's channels, with the same dedup and retries (e.g. "sink failed"). */
  notify(alert: AlertInput): void;
  status(accountId: string): AccountStatus;
  statusAll(): AccountStatus[];
  alertStatus(): SinkStatus[];
  /** Broker calls in flight and queued behind `maxConcurrentRefreshes`. */
  refreshQueue(): { active: number; queued: number; limit: number };
  on<K extends keyof TokenManagerEvents>(event: K, listener: (event: TokenManagerEvents[K]) => void): () => void;
  /**
   * Clears every timer and subscription. With `drainMs`, refreshes and logins already in flight
   * may finish (and be stored) for up to that long first. The manager cannot be used afterwards.
   */
  stop(options?: { drainMs?: number }): Promise<void>;
}

export function createTokenManager(options: TokenManagerOptions): TokenManager {
  if (!options?.store) throw new InvalidConfigError({ issues: [{ path: 'store', message: 'a token store is required, e.g. createFileTokenStore({ dir }).' }] });
  const clock = options.clock ?? createSystemClock();
  const logger = options.logger ?? noopLogger;
  const emitter = createEmitter<TokenManagerEvents>((error) => logger.warn({ code: toTokensError(error).code }, 'event listener threw'));
  const dispatcher = createAlertDispatcher({
    sinks: options.alerts ?? [],
    clock,
    logger,
    dedupMs: options.alertDedupMs ?? 6 * 3_600_000,
    onDelivery: ({ alert, sink, delivered }) =>
      emitter.emit('alert', { alertId: alert.id, accountId: alert.accountId, kind: alert.kind, severity: alert.severity, delivered, sink }),
  });
  const refreshTimeoutMs = options.refreshTimeoutMs ?? 30_000;
  const ctx: EngineContext = {
    store: options.store,
    lock: options.lock ?? createMemoryLock({ clock }),
    clock,
    logger,
    calendar: options.calendar,
    random: options.random ?? Math.random,
    dispatcher,
    emitter,
    refreshAhead: { ...DEFAULT_REFRESH_AHEAD, ...options.refreshAhead },
    backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
    escalation: options.escalation ?? DEFAULT_ESCALATION,
    loginLink: options.loginLink,
    expirySkewMs: options.expirySkewMs ?? 10_000,
    refreshTimeoutMs,
    lockTtlMs: options.lockTtlMs ?? refreshTimeoutMs + 30_000,
    slots: createRefreshSlots(refreshSlotLimit(options.maxConcurrentRefreshes)),
    notifyOnRefresh: options.notifyOnRefresh ?? false,
  };
  const accounts = new Map<string, AccountRuntime>();
  let stopped = false;
  let unwatch: (() => void) | undefined;

  const account = (accountId: string): AccountRuntime => {
    if (stopped) throw new TokensError({ code: 'STOPPED', message: 'This token manager was stopped.' });
    const a = accounts.get(accountId);
    if (a) return a;
    assertAccountId(accountId);
    throw new InvalidInputError({ code: 'UNKNOWN_ACCOUNT', field: 'accountId', message: `Unknown account "${accountId}". Add it first with addAccount().` });
  };

  // Hot reload: tokens written by other processes become ours within the store's watch latency.
  const onStoreChange = async (accountId: string) => {
    const a = accounts.get(accountId);
    if (!a || a.removed) return;
    try {
      const stored = await ctx.store.get(accountId);
      if (!stored) return;
      if (!a.record || stored.version > a.record.version || stored.tokenSet.issuedAt > a.record.tokenSet.issuedAt) {
        a.publish(stored, 'store');
        a.evaluate();
      }
    } catch (error) {
      logger.warn({ accountId, code: toTokensError(error).code }, 'could not reload a changed token');
    }
  };
  const ensureWatch = () => {
    if (unwatch || !ctx.store.watch) return;
    unwatch = ctx.store.watch((change) => {
      const a = accounts.get(change.accountId);
      if (change.kind === 'put' && a && a.writes === 0 && a.record?.version !== change.version) void onStoreChange(change.accountId);
    });
  };

  const getAccessToken = (accountId: string): Promise<string> => {
    const a = accounts.get(accountId);
    // Hot path: one map lookup and one comparison.
    if (a !== undefined && a.fastUntil > clock.now()) return Promise.resolve(a.accessToken!);
    try {
      return account(accountId).obtainToken();
    } catch (error) {
      return Promise.reject(error);
    }
  };

  const manager: TokenManager = {
    async addAccount(config) {
      if (stopped) throw new TokensError({ code: 'STOPPED', message: 'This token manager was stopped.' });
      assertAccountId(config?.id);
      if (!config.adapter || config.adapter.specificationVersion !== 'v1') {
        throw new InvalidConfigError({
          issues: [{ path: `accounts.${config.id}.adapter`, message: `expected a broker adapter with specificationVersion "v1" (got ${JSON.stringify(config.adapter?.specificationVersion)}).` }],
        });
      }
      const previous = accounts.get(config.id);
      const a = new AccountRuntime(ctx, config);
      if (previous) {
        // New credentials: keep the token, forget "needs a human" so renewal is tried again.
        a.record = previous.record;
        a.accessToken = previous.accessToken;
        a.fastUntil = previous.fastUntil;
        a.pending = previous.pending;
        a.counters = previous.counters;
        previous.stop();
      }
      accounts.set(config.id, a);
      ensureWatch();
      try {
        const stored = await ctx.store.get(config.id);
        if (stored && (!a.record || stored.version !== a.record.version)) a.publish(stored, 'store');
        else a.planRoutine();
      } catch (raw) {
        const error = toTokensError(raw, 'STORE_ERROR');
        a.lastError = summarize(error, clock.now());
        logger.error({ accountId: config.id, code: error.code }, 'could not load the stored token');
        a.alert('store_error', 'critical', `${a.name}: stored token unreadable`, `${error.code}: ${error.message}`, `${config.id}:store_error`);
      }
      a.evaluate();
      return a.status();
    },
    async removeAccount(accountId) {
      const a = accounts.get(accountId);
      if (!a) return false;
      a.stop();
      accounts.delete(accountId);
      return true;
    },
    accounts: () => [...accounts.keys()],
    getAccessToken,
    async getTokenSet(accountId) {
      const a = account(accountId);
      await getAccessToken(accountId);
      if (a.tokenUsable() && a.record) return a.record.tokenSet;
      if (a.pending) return a.pending.tokenSet;
      throw new TokenUnavailableError({ accountId, state: a.state, message: `No valid token for account "${accountId}".` });
    },
    async withToken(accountId, fn, opts) {
      const check = opts?.isAuthError ?? isAuthError;
      const token = await getAccessToken(accountId);
      try {
        return await fn(token);
      } catch (error) {
        if (!check(error)) throw error;
        logger.info({ accountId }, 'auth error from caller; refreshing once');
        const a = account(accountId);
        a.invalidate(token);
        const fresh = await getAccessToken(accountId);
        return await fn(fresh);
      }
    },
    async refresh(accountId, opts) {
      const a = account(accountId);
      if (opts?.force || !a.tokenUsable() || a.dueRefresh(clock.now()) !== undefined) {
        await a.refresh(opts?.force ? 'manual' : 'on-demand', { force: opts?.force, urgent: true });
      }
      return a.status();
    },
    validate(accountId) {
      try {
        return account(accountId).validate();
      } catch (error) {
        return Promise.reject(error);
      }
    },
    invalidate(accountId, accessToken) {
      const a = account(accountId);
      a.invalidate(accessToken);
      a.evaluate();
    },
    async authorizeUrl(accountId, input) {
      const a = account(accountId);
      if (!a.adapter.login) throw new InvalidInputError({ code: 'LOGIN_NOT_SUPPORTED', message: `${a.broker} has no interactive login.` });
      return a.adapter.login.authorizeUrl(input);
    },
    async completeLogin(accountId, input) {
      const a = account(accountId);
      await completeLogin(a, input);
      return a.status();
    },
    async importTokenSet(accountId, tokenSet) {
      const a = account(accountId);
      await importTokenSet(a, tokenSet);
      return a.status();
    },
    notify(alert) {
      const a = alert.accountId ? accounts.get(alert.accountId) : undefined;
      dispatcher.dispatch(alert, a?.config.alerts);
    },
    status: (accountId) => account(accountId).status(),
    statusAll: () => [...accounts.values()].map((a) => a.status()),
    alertStatus: () => dispatcher.status(),
    refreshQueue: () => ({ active: ctx.slots.active, queued: ctx.slots.queued, limit: ctx.slots.limit }),
    on: (event, listener) => emitter.on(event, listener),
    async stop(opts) {
      if (stopped) return;
      stopped = true;
      const inflight = [...accounts.values()].map((a) => a.inflight).filter((p) => p !== undefined);
      if (opts?.drainMs && inflight.length > 0) {
        let timer: ReturnType<ClockV1['setTimeout']> | undefined;
        const deadline = new Promise<void>((resolve) => (timer = clock.setTimeout(resolve, opts.drainMs!)));
        await Promise.race([Promise.allSettled(inflight), deadline]);
        if (timer) clock.clearTimeout(timer);
      }
      unwatch?.();
      for (const a of accounts.values()) a.stop();
      accounts.clear();
      dispatcher.stop();
      emitter.clear();
    },
  };
  return manager;
}

export type { StoredTokenV1 };
