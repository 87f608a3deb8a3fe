import type { BrokerAdapterV1 } from '../contracts/broker-adapter';
import type { TokenSetV1 } from '../contracts/token-set';
import type { Exchange, MarketCalendar } from '../calendar';
import { previousWallClock } from '../time';
import type { AccountState, EscalationLevel, HumanDeadline } from './types';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const DEFAULT_ESCALATION: EscalationLevel[] = [
  { beforeMs: 24 * HOUR, severity: 'info' },
  { beforeMs: 2 * HOUR, severity: 'warning' },
  { beforeMs: 15 * MINUTE, severity: 'critical' },
];

// Bots need the session from the pre-open auction, not from the regular open.
const PRE_OPEN_MS: Partial<Record<Exchange, number>> = { NSE: 15 * MINUTE, BSE: 15 * MINUTE };

export interface DeadlineInput {
  adapter: BrokerAdapterV1;
  tokenSet?: TokenSetV1;
  state: AccountState;
  now: number;
  calendar?: MarketCalendar;
  market?: Exchange;
}

/**
 * "Bots stop at T unless a human logs in." Refresh-token death for OAuth brokers (Schwab's
 * 7 days, FYERS' 15 days); the next market open after the daily rollover for brokers that
 * cannot renew (Kite); now, or the current token's expiry, once a human is already required.
 */
export function humanDeadline(input: DeadlineInput): HumanDeadline | undefined {
  const { adapter, tokenSet, state, now } = input;
  if (state === 'login_required') {
    const at = tokenSet && tokenSet.expiresAt > now ? tokenSet.expiresAt : now;
    return { at, reason: 'login-required' };
  }
  if (adapter.capabilities.renewal === 'none' && (tokenSet || (input.market && input.calendar))) {
    const expiresAt = tokenSet?.expiresAt ?? now;
    let at = expiresAt;
    if (input.market && input.calendar) {
      // A day nobody logged in is not the end of the story: the next session to catch is the
      // next market open after whichever is later, the token's death or now.
      const from = Math.max(expiresAt, now);
      const preOpen = PRE_OPEN_MS[input.market] ?? 0;
      let open = input.calendar.nextOpen(input.market, from) - preOpen;
      if (open <= now) open = input.calendar.nextOpen(input.market, now + preOpen) - preOpen;
      if (open > at) at = open;
    }
    return { at, reason: 'daily-login' };
  }
  if (!tokenSet) return undefined;
  if (tokenSet.refreshExpiresAt !== undefined) return { at: tokenSet.refreshExpiresAt, reason: 'refresh-token-expiry' };
  return undefined;
}

/**
 * The earliest moment a human can usefully act. A daily-rollover broker's new login only
 * lives past the rollover, so warning before it would ask for a login that dies at once.
 */
export function earliestActionAt(adapter: BrokerAdapterV1, tokenSet: TokenSetV1 | undefined, deadline: HumanDeadline): number {
  if (deadline.reason === 'daily-login' && adapter.expiryRule.kind === 'daily') {
    // The rollover just before the deadline (06:00 IST for a 09:00 deadline).
    const rollover = previousWallClock(deadline.at, adapter.expiryRule.at.time, adapter.expiryRule.at.timeZone);
    return tokenSet ? Math.max(tokenSet.expiresAt, rollover) : rollover;
  }
  return Number.NEGATIVE_INFINITY;
}

export interface EscalationPlan {
  /** The level to send now, if any (the most severe of those due). */
  due?: EscalationLevel;
  /** Keys of every level that is now covered (send one, mark all). */
  covered: string[];
  /** When the next level becomes due. */
  nextAt?: number;
}

export function escalationKey(deadline: HumanDeadline, level: EscalationLevel): string {
  return `${deadline.reason}:${deadline.at}:${level.beforeMs}`;
}

export function planEscalation(
  deadline: HumanDeadline,
  levels: EscalationLevel[],
  now: number,
  sent: ReadonlySet<string>,
  earliest: number,
): EscalationPlan {
  if (now >= deadline.at) return { covered: [] };
  const ordered = [...levels].sort((a, b) => b.beforeMs - a.beforeMs);
  const covered: string[] = [];
  let due: EscalationLevel | undefined;
  let nextAt: number | undefined;
  for (const level of ordered) {
    const key = escalationKey(deadline, level);
    const fireAt = Math.max(deadline.at - level.beforeMs, earliest);
    if (fireAt >= deadline.at) continue;
    if (fireAt <= now) {
      if (!sent.has(key)) {
        covered.push(key);
        due = level;
      }
    } else if (nextAt === undefined || fireAt < nextAt) {
      nextAt = fireAt;
    }
  }
  return { due, covered, nextAt };
}
