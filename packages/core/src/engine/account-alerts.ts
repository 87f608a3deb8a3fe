import type { AccountRuntime } from './account-runtime';
import { earliestActionAt, planEscalation } from './escalation';

/** Deadline-driven warnings before bots stop; returns when the next level falls due. */
export function escalate(a: AccountRuntime, now: number): number | undefined {
  const deadline = a.deadline(now);
  if (!deadline || deadline.reason === 'login-required') return undefined;
  const levels = a.config.escalation ?? a.ctx.escalation;
  const plan = planEscalation(deadline, levels, now, a.escalationsSent, earliestActionAt(a.adapter, a.record?.tokenSet, deadline));
  for (const key of plan.covered) a.escalationsSent.add(key);
  if (plan.due) {
    const what = deadline.reason === 'daily-login' ? 'the daily login' : 'a fresh login (the refresh token runs out)';
    a.alert(
      'deadline',
      plan.due.severity,
      `${a.name}: log in before ${a.when(deadline.at)}`,
      `Bots using ${a.id} stop at ${a.when(deadline.at)} unless someone completes ${what}.`,
      `${a.id}:deadline:${deadline.at}:${plan.due.beforeMs}`,
      true,
      deadline.at,
    );
  }
  return plan.nextAt;
}

export function alertIfExpired(a: AccountRuntime, now: number): void {
  const t = a.record?.tokenSet;
  if (!t || t.expiresAt > now || a.expiredAlertedFor === a.record!.version) return;
  if (a.state !== 'expired' && a.state !== 'login_required') return;
  // Daily-login brokers are covered by the deadline warnings until the market needs them.
  const deadline = a.deadline(now);
  if (deadline?.reason === 'daily-login' && deadline.at > now) {
    // The ladder covers the wait; once the market is in session without a token, bots fail: page.
    const market = a.config.market;
    const state = market && a.ctx.calendar ? a.ctx.calendar.marketStatus(market, now).state : undefined;
    if (state !== 'PRE_OPEN' && state !== 'OPEN') return;
  }
  // A scheduled renewal that lands before the market needs the token (FYERS: dead at 06:00,
  // renewed at 08:45, pre-open 09:00) is the plan working, not an emergency.
  if (a.state === 'expired' && a.nextRetryAt === undefined && a.nextRefreshAt !== undefined && a.nextRefreshAt > now) {
    const market = a.config.market;
    const needed = market && a.ctx.calendar ? a.ctx.calendar.nextOpen(market, now) - (market === 'NSE' || market === 'BSE' ? 15 * 60_000 : 0) : undefined;
    if (needed === undefined || a.nextRefreshAt <= needed) return;
  }
  a.expiredAlertedFor = a.record!.version;
  a.alert('expired', 'critical', `${a.name}: token expired`, `The token of ${a.id} expired at ${a.when(t.expiresAt)}; bots using it are failing now.`, `${a.id}:expired:${a.record!.version}`, !a.canRenewUnattended || a.needsHuman);
}

