import type { AccountRuntime } from './account-runtime';
import type { AccountStatus } from './types';

/** A snapshot of one account for the API, metrics and the dashboard. Never carries a secret. */
export function accountStatus(a: AccountRuntime): AccountStatus {
  const now = a.ctx.clock.now();
  const t = a.record?.tokenSet;
  const s: AccountStatus = {
    accountId: a.id,
    broker: a.broker,
    state: a.computeState(now),
    tokenValid: a.tokenUsable(now),
    capabilities: { ...a.adapter.capabilities },
    persistPending: Boolean(a.pending),
    counters: { ...a.counters },
  };
  if (a.config.label) s.label = a.config.label;
  if (a.record) s.version = a.record.version;
  if (t) {
    s.issuedAt = t.issuedAt;
    s.expiresAt = t.expiresAt;
    if (t.refreshExpiresAt !== undefined) s.refreshExpiresAt = t.refreshExpiresAt;
  }
  if (!a.needsHuman && a.canRenewUnattended && a.nextRefreshAt !== undefined) s.nextRefreshAt = a.nextRefreshAt;
  if (a.nextRetryAt !== undefined) s.nextRetryAt = a.nextRetryAt;
  const deadline = a.deadline(now);
  if (deadline) s.humanDeadline = deadline;
  if (a.lastRefresh) s.lastRefresh = { ...a.lastRefresh };
  if (a.lastError) s.lastError = { ...a.lastError };
  if (a.lastValidation) s.lastValidation = { ...a.lastValidation };
  return s;
}
