import { formatInZone, IST, type AccountStatus, type Exchange, type MarketCalendar } from '@tokens/core';

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** One sentence a human can act on. */
export function nextAction(s: AccountStatus, now: number, loginUrl?: string): string {
  const when = (ms: number) => formatInZone(ms, IST);
  switch (s.state) {
    case 'valid':
      return s.nextRefreshAt ? `Nothing to do: renews automatically at ${when(s.nextRefreshAt)}.` : s.humanDeadline ? `Log in before ${when(s.humanDeadline.at)}.` : 'Nothing to do.';
    case 'refreshing':
      return 'Refreshing now.';
    case 'retrying':
      return `Renewal failed (${s.lastError?.code ?? 'error'}); retrying at ${s.nextRetryAt ? when(s.nextRetryAt) : 'soon'}. The current token still works.`;
    case 'login_required':
      return `Log in${loginUrl ? ` at ${loginUrl}` : ''}${s.humanDeadline && s.humanDeadline.at > now ? ` before ${when(s.humanDeadline.at)}` : ' now: bots using this account are stopped'}.`;
    case 'expired':
      return s.nextRetryAt ? `Token expired; next attempt ${when(s.nextRetryAt)}.` : 'Token expired; it renews on the next scheduled run or when a bot asks for it.';
    case 'missing':
      return 'No token yet; the first one is being fetched.';
  }
}

/** The Kite setup's `/api/token-status`, for every account, plus NSE and NYSE status. */
export function tokenStatus(statuses: AccountStatus[], now: number, calendar: MarketCalendar, loginUrl: (id: string) => string | undefined) {
  const market = (ex: Exchange) => {
    const m = calendar.marketStatus(ex, now);
    return { status: m.state, session: m.session, live: m.state === 'OPEN', weekend: m.state === 'WEEKEND', next_open: iso(m.nextOpen), next_close: iso(m.nextClose), ...(m.holiday ? { holiday: m.holiday.name } : {}) };
  };
  const accounts = statuses.map((s) => ({
    account: s.accountId,
    broker: s.broker,
    credentials_present: s.tokenValid || s.version !== undefined,
    state: s.state,
    token_valid: s.tokenValid,
    expires_at: iso(s.expiresAt),
    hours_until_expiry: s.expiresAt === undefined ? null : Math.round(((s.expiresAt - now) / 3_600_000) * 100) / 100,
    refresh_expires_at: iso(s.refreshExpiresAt),
    human_deadline: iso(s.humanDeadline?.at),
    next_refresh_at: iso(s.nextRefreshAt),
    next_action: nextAction(s, now, loginUrl(s.accountId)),
  }));
  const urgent = accounts.find((a) => a.state === 'login_required') ?? accounts.find((a) => a.state === 'expired' || a.state === 'retrying');
  return {
    timestamp: new Date(now).toISOString(),
    ist_time: formatInZone(now, IST),
    market: { NSE: market('NSE'), NYSE: market('NYSE') },
    accounts,
    next_action: urgent ? `${urgent.account}: ${urgent.next_action}` : 'Nothing to do: every account renews automatically.',
  };
}
