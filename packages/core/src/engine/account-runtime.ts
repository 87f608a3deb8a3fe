import type { AlertSeverityV1 } from '../contracts/alert-sink';
import type { TimerHandle } from '../contracts/clock';
import type { StoredTokenV1, TokenSetV1 } from '../contracts/token-set';
import type { ValidateResultV1 } from '../contracts/broker-adapter';
import { TokenUnavailableError, toTokensError, type TokensError } from '../errors';
import { formatInZone } from '../time';
import type { EngineContext } from './context';
import { alertIfExpired, escalate } from './account-alerts';
import { humanDeadline } from './escalation';
import { validateAccount } from './validate-flow';
import { accountStatus } from './account-status';
import { runRefreshFlow, retryPersistFlow, type RefreshOptions } from './refresh-flow';
import { compileSchedule, routineRefreshAt, type CompiledSchedule } from './schedule';
import type { AccountConfig, AccountState, AccountStatus, ErrorSummary, RefreshSource } from './types';

export interface PendingPersist {
  tokenSet: TokenSetV1;
  attempts: number;
  nextAt: number;
}

/** One account's state, schedule and single-flight refresh. */
export class AccountRuntime {
  readonly id: string;
  config: AccountConfig;
  schedule?: CompiledSchedule;
  record?: StoredTokenV1;
  /** Revealed once per token so the hot path is a comparison and a return. */
  accessToken?: string;
  /** `expiresAt - skew`; 0 when invalidated or missing. */
  fastUntil = 0;
  invalidatedVersion?: number;
  pending?: PendingPersist;
  needsHuman = false;
  inflight?: Promise<StoredTokenV1 | undefined>;
  /** Set while the inflight refresh waits for a refresh slot (see refresh-slots.ts). */
  promoteRefresh?: () => void;
  attempt = 0;
  nextRetryAt?: number;
  nextRefreshAt?: number;
  nextValidateAt?: number;
  /** The refreshExpiresAt already probed once (see probeRefreshTokenEnd). */
  probedRefreshEnd?: number;
  lastError?: ErrorSummary;
  lastRefresh?: AccountStatus['lastRefresh'];
  lastValidation?: AccountStatus['lastValidation'];
  counters = { refreshes: 0, failures: 0, consecutiveFailures: 0, adoptions: 0, validations: 0, logins: 0 };
  state: AccountState = 'missing';
  escalationsSent = new Set<string>();
  expiredAlertedFor?: number;
  abort = new AbortController();
  removed = false;
  /** Store writes of ours in flight; their watch echoes are ignored. */
  writes = 0;
  #timer?: TimerHandle;

  constructor(
    readonly ctx: EngineContext,
    config: AccountConfig,
  ) {
    this.id = config.id;
    this.config = config;
    this.schedule = config.schedule ? compileSchedule(config.schedule, ctx.calendar, `accounts.${config.id}.schedule`) : undefined;
  }

  get adapter() {
    return this.config.adapter;
  }

  get broker() {
    return this.config.adapter.broker;
  }

  /** True when renewal can happen without a human, given what we hold. */
  get canRenewUnattended(): boolean {
    const renewal = this.adapter.capabilities.renewal;
    if (renewal === 'relogin') return true;
    if (renewal === 'refresh-token') return Boolean(this.record?.tokenSet.refreshToken ?? this.pending?.tokenSet.refreshToken);
    return false;
  }

  tokenUsable(now = this.ctx.clock.now()): boolean {
    return this.accessToken !== undefined && this.fastUntil > now;
  }

  /** Adopts a persisted record: the only way a token becomes visible to consumers. */
  publish(record: StoredTokenV1, source: 'refresh' | 'login' | 'store' | 'adopted'): void {
    const previous = this.record;
    // A first session is not a recovery.
    const recovered = previous !== undefined && (this.counters.consecutiveFailures > 0 || this.needsHuman);
    this.record = record;
    this.accessToken = record.tokenSet.accessToken.reveal();
    this.fastUntil = record.tokenSet.expiresAt - this.ctx.expirySkewMs;
    if (this.invalidatedVersion !== record.version) this.invalidatedVersion = undefined;
    if (this.pending && this.pending.tokenSet.issuedAt <= record.tokenSet.issuedAt) this.pending = undefined;
    this.needsHuman = false;
    this.attempt = 0;
    this.nextRetryAt = undefined;
    this.counters.consecutiveFailures = 0;
    this.planRoutine();
    if (previous?.version !== record.version) {
      this.ctx.emitter.emit('change', {
        accountId: this.id,
        broker: this.broker,
        version: record.version,
        expiresAt: record.tokenSet.expiresAt,
        source,
      });
    }
    if (recovered && this.tokenUsable()) {
      this.alert('refresh_recovered', 'info', `${this.name}: session restored`, `A valid token is in place again (expires ${this.when(record.tokenSet.expiresAt)}).`, `${this.id}:recovered:${record.version}`);
    }
  }

  /** Marks the current token bad (an auth error from the broker) so the next caller refreshes. */
  invalidate(token?: string): void {
    if (!this.record) return;
    if (token !== undefined && token !== this.accessToken) return;
    this.invalidatedVersion = this.record.version;
    this.fastUntil = 0;
  }

  /** Single flight: every concurrent caller shares one broker call. Failures are not cached. */
  refresh(source: RefreshSource, options: RefreshOptions = {}): Promise<StoredTokenV1 | undefined> {
    if (this.inflight) {
      // Someone now waits on a refresh that may be queued as background work.
      if (options.urgent) this.promoteRefresh?.();
      return this.inflight;
    }
    // Callers await the promise returned by finally(): by the time they resume, the flight is
    // over and status() no longer says "refreshing".
    const flight: Promise<StoredTokenV1 | undefined> = runRefreshFlow(this, source, options).finally(() => {
      if (this.inflight === flight) this.inflight = undefined;
      this.evaluate();
    });
    this.inflight = flight;
    this.updateState();
    flight.catch(() => undefined);
    return flight;
  }

  /** Probes the broker; see validate-flow.ts. */
  validate(): Promise<ValidateResultV1> {
    return validateAccount(this);
  }

  get validateEveryMs(): number | undefined {
    if (!this.adapter.doValidate) return undefined;
    return this.config.validateEveryMs ?? this.adapter.defaults?.validateEveryMs;
  }

  /** Slow path of getAccessToken: everything but "the cached token is fine". */
  async obtainToken(): Promise<string> {
    for (let round = 0; round < 2; round++) {
      const now = this.ctx.clock.now();
      if (this.tokenUsable(now)) return this.accessToken!;
      // A token the store refused to take is still better than none (documented exception).
      if (this.pending && this.pending.tokenSet.expiresAt - this.ctx.expirySkewMs > now) return this.pending.tokenSet.accessToken.reveal();
      if (this.inflight) {
        this.promoteRefresh?.(); // a caller waits on it now
        await this.inflight.catch(() => undefined);
        continue;
      }
      if (this.needsHuman || !this.canRenewUnattended) throw this.loginRequiredError();
      if (this.nextRetryAt !== undefined && this.nextRetryAt > now) {
        throw new TokenUnavailableError({
          accountId: this.id,
          state: this.state,
          code: 'REFRESH_BACKOFF',
          isRetryable: true,
          message: `No valid token for account "${this.id}": the last refresh failed (${this.lastError?.code ?? 'unknown'}); next attempt ${this.when(this.nextRetryAt)}.`,
        });
      }
      await this.refresh('on-demand', { urgent: true });
    }
    if (this.tokenUsable()) return this.accessToken!;
    throw new TokenUnavailableError({ accountId: this.id, state: this.state, isRetryable: true, message: `No valid token for account "${this.id}" yet.` });
  }

  loginRequiredError(): TokenUnavailableError {
    const why = this.lastError?.needsHuman ? ` (${this.lastError.code}: ${this.lastError.message})` : '';
    return new TokenUnavailableError({
      accountId: this.id,
      state: 'login_required',
      code: 'LOGIN_REQUIRED',
      needsHuman: true,
      message: `Account "${this.id}" (${this.broker}) needs a human login${why}.`,
    });
  }

  /** Records a failed refresh and decides what happens next. */
  recordFailure(error: TokensError, retryAfterMs: number | undefined, backoff: (attempt: number) => number): void {
    const now = this.ctx.clock.now();
    this.lastError = summarize(error, now);
    this.counters.failures++;
    this.counters.consecutiveFailures++;
    this.lastRefresh = { at: now, ok: false, durationMs: 0, source: this.lastRefresh?.source ?? 'schedule' };
    if (error.needsHuman) {
      this.needsHuman = true;
      this.attempt = 0;
      this.nextRetryAt = undefined;
      const kind = error.code === 'INVALID_CREDENTIALS' ? 'invalid_credentials' : 'login_required';
      this.alert(kind, 'critical', `${this.name}: human login needed`, `${error.message} Automatic renewal has stopped until someone logs in or fixes the credentials.`, `${this.id}:${kind}:${this.record?.version ?? 0}`, true);
      return;
    }
    this.attempt++;
    // Unclassified (non-retryable) failures get the slowest retry, not a tight loop.
    const delay = error.isRetryable ? backoff(this.attempt) : Math.max(backoff(99), retryAfterMs ?? 0);
    this.nextRetryAt = now + delay;
    const dead = !this.tokenUsable(now);
    this.alert(
      dead ? 'retries_exhausted' : 'refresh_failed',
      dead ? 'critical' : 'warning',
      `${this.name}: refresh failed`,
      `${error.code}: ${error.message} ${dead ? 'No valid token is left.' : `The current token stays in use until ${this.when(this.record!.tokenSet.expiresAt)}.`} Next attempt ${this.when(this.nextRetryAt)}.`,
      `${this.id}:${dead ? 'retries_exhausted' : 'refresh_failed'}:${this.record?.version ?? 0}`,
    );
  }

  planRoutine(): void {
    const now = this.ctx.clock.now();
    const t = this.record?.tokenSet;
    let next: number | undefined;
    if (this.schedule) next = this.schedule.next(now);
    if (t && (!this.schedule || this.schedule.alsoRefreshAhead) && this.adapter.capabilities.renewal !== 'none') {
      const policy = { ...this.ctx.refreshAhead, ...this.adapter.defaults?.refreshAhead, ...this.config.refreshAhead };
      const market = this.config.market;
      const calendar = this.ctx.calendar;
      const tradingDay = market && calendar ? (at: number) => calendar.isTradingDay(market, at) : undefined;
      const ahead = routineRefreshAt(this.adapter, t, policy, this.ctx.random, tradingDay);
      next = next === undefined ? ahead : Math.min(next, ahead);
    }
    this.nextRefreshAt = next;
  }

  /** Runs whatever is due, updates the state and arms one timer for the next thing. */
  evaluate(): void {
    if (this.removed) return;
    const now = this.ctx.clock.now();
    if (this.pending && this.pending.nextAt <= now && !this.inflight) void retryPersistFlow(this);
    // Probing a token already past its expiry tells nothing (and would re-login for nothing at night).
    if (this.validateEveryMs && this.record && !this.inflight && this.tokenUsable(now)) {
      this.nextValidateAt ??= now + this.validateEveryMs;
      if (this.nextValidateAt <= now) {
        this.validate()
          .catch((e) => this.ctx.logger.warn({ accountId: this.id, code: toTokensError(e).code }, 'scheduled validation failed'))
          .finally(() => this.evaluate());
        return; // validate() re-evaluates when it settles
      }
    }
    this.probeRefreshTokenEnd(now);
    this.noticeNoSession();
    if (!this.inflight && !this.pending) {
      const due = this.dueRefresh(now);
      if (due) {
        this.refresh(due).catch(() => undefined);
        return; // refresh() re-evaluates when it settles
      }
    }
    this.updateState();
    const nextEscalation = escalate(this, now);
    alertIfExpired(this, now);
    this.arm(now, nextEscalation);
  }

  /**
   * At the refresh token's known end (Schwab's 7 days, FYERS' 15) renewal is tried once right
   * away, so a dead session turns into `login_required` at that moment rather than at the next
   * routine run. Brokers whose tokens outlive the estimate just keep renewing.
   */
  probeRefreshTokenEnd(now: number): void {
    const end = this.record?.tokenSet.refreshExpiresAt;
    if (this.needsHuman || end === undefined || end > now || this.probedRefreshEnd === end) return;
    if (this.adapter.capabilities.renewal !== 'refresh-token' || this.nextRetryAt !== undefined) return;
    this.probedRefreshEnd = end;
    this.nextRefreshAt = now;
  }

  /** An account with no session that cannot mint one alone needs a human now: say so once. */
  noticeNoSession(): void {
    if (this.record || this.pending || this.needsHuman || this.canRenewUnattended) return;
    // A daily-login broker with a market has a deadline (the next pre-open): the escalation
    // ladder handles it, without paging anyone at night.
    const deadline = this.deadline();
    if (deadline && deadline.at > this.ctx.clock.now()) return;
    this.needsHuman = true;
    this.alert('login_required', 'critical', `${this.name}: log in to start`, `There is no session for ${this.id} yet, and ${this.broker} needs a human login to create one.`, `${this.id}:login_required:0`, true);
  }

  dueRefresh(now: number): RefreshSource | undefined {
    if (this.needsHuman || !this.canRenewUnattended) return undefined;
    if (this.nextRetryAt !== undefined) return this.nextRetryAt <= now ? 'retry' : undefined;
    if (!this.record) return 'startup';
    if (this.invalidatedVersion === this.record.version) return 'auth-error';
    // A dead token is renewed at once, unless the broker's window is still ahead (FYERS after
    // its 06:00 rollover waits for 06:05); callers that need it meanwhile refresh on demand.
    const waitForWindow = this.adapter.renewalWindow !== undefined && this.nextRefreshAt !== undefined && this.nextRefreshAt > now;
    if (!this.tokenUsable(now) && !this.schedule && !waitForWindow) return 'on-demand';
    if (this.nextRefreshAt !== undefined && this.nextRefreshAt <= now) return 'schedule';
    return undefined;
  }

  computeState(now = this.ctx.clock.now()): AccountState {
    if (this.inflight) return 'refreshing';
    if (this.needsHuman) return 'login_required';
    const usable = this.tokenUsable(now);
    if (!this.record && !this.pending) return this.canRenewUnattended ? 'missing' : 'login_required';
    if (usable) return this.attempt > 0 ? 'retrying' : 'valid';
    return this.canRenewUnattended ? 'expired' : 'login_required';
  }

  updateState(): void {
    const to = this.computeState();
    if (to === this.state) return;
    const from = this.state;
    this.state = to;
    this.ctx.logger.info({ accountId: this.id, broker: this.broker, from, to }, 'account state changed');
    this.ctx.emitter.emit('state', { accountId: this.id, from, to, error: to === 'valid' ? undefined : this.lastError });
  }

  deadline(now = this.ctx.clock.now()) {
    return humanDeadline({
      adapter: this.adapter,
      tokenSet: this.record?.tokenSet,
      // Only an explicit human-needed failure changes the deadline; a daily-login broker
      // whose token merely rolled over keeps its 'bots stop at the next open' deadline.
      state: this.needsHuman ? 'login_required' : 'valid',
      now,
      calendar: this.ctx.calendar,
      market: this.config.market,
    });
  }

  arm(now: number, nextEscalation: number | undefined): void {
    if (this.#timer) this.ctx.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.removed) return;
    const candidates = [
      this.needsHuman ? undefined : this.nextRetryAt ?? this.nextRefreshAt,
      this.pending?.nextAt,
      this.record && this.tokenUsable(now) ? this.nextValidateAt : undefined,
      nextEscalation,
      this.record && this.fastUntil > now ? this.fastUntil : undefined,
      this.deadline(now)?.at,
    ].filter((t): t is number => t !== undefined && t > now);
    if (candidates.length === 0) return;
    const at = Math.min(...candidates);
    this.#timer = this.ctx.clock.setTimeout(() => this.evaluate(), at - now);
  }

  alert(kind: string, severity: AlertSeverityV1, title: string, message: string, dedupKey: string, withLogin = false, deadline?: number): void {
    const url = withLogin && this.adapter.login ? this.ctx.loginLink?.(this.id) : undefined;
    this.ctx.dispatcher.dispatch(
      {
        severity,
        kind,
        accountId: this.id,
        broker: this.broker,
        title,
        message,
        dedupKey,
        ...(url ? { action: { label: 'Log in', url } } : {}),
        ...(deadline !== undefined ? { deadline } : {}),
      },
      this.config.alerts,
    );
  }

  get name(): string {
    return this.config.label ?? `${this.id} (${this.broker})`;
  }

  /** Human time in the broker's or market's zone. */
  when(at: number): string {
    const rule = this.adapter.expiryRule;
    const zone =
      rule.kind === 'daily'
        ? rule.at.timeZone
        : this.config.market && this.ctx.calendar
          ? this.ctx.calendar.exchangeTimeZone(this.config.market)
          : (this.adapter.renewalWindow?.timeZone ?? 'UTC');
    return formatInZone(at, zone);
  }

  stop(): void {
    this.removed = true;
    this.abort.abort(new Error('account removed'));
    if (this.#timer) this.ctx.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  status(): AccountStatus {
    return accountStatus(this);
  }
}

export function summarize(error: TokensError, at: number): ErrorSummary {
  return { code: error.code, message: error.message, at, isRetryable: error.isRetryable, needsHuman: error.needsHuman };
}
