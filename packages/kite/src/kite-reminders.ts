import { InvalidConfigError, type EscalationLevel } from '@tokens/core';

const MINUTE = 60_000;
// The human deadline of a Kite account on NSE is the pre-open at 09:00 IST (open 09:15 − 15 min).
const PRE_OPEN_MINUTES = 9 * 60;

export interface KiteRemindersOptions {
  /** IST wall-clock time of the first reminder, "HH:mm", before 09:00. Default "08:00". */
  firstAt?: string;
}

function minutesOf(time: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

/**
 * Escalation levels for a Kite account whose `market` is NSE: a first reminder at `firstAt`
 * (info), 08:30 (warning) and 08:45 (critical), each carrying the one-tap login link, all
 * before the 09:00 IST pre-open of the next trading day. Because every level sits within the
 * last hours before a pre-open, nothing fires on weekends or NSE holidays.
 *
 * ```ts
 * await manager.addAccount({ id: 'kite-main', adapter: kite, market: 'NSE', escalation: kiteReminders() });
 * ```
 */
export function kiteReminders(options: KiteRemindersOptions = {}): EscalationLevel[] {
  const firstAt = options.firstAt ?? '08:00';
  const first = minutesOf(firstAt);
  if (first === undefined || first >= PRE_OPEN_MINUTES || first < 6 * 60) {
    throw new InvalidConfigError({
      issues: [{ path: 'firstAt', message: `"${String(firstAt).slice(0, 10)}" must be an IST time "HH:mm" between 06:00 (the rollover) and 08:59, e.g. "08:00".` }],
    });
  }
  const levels: EscalationLevel[] = [{ beforeMs: (PRE_OPEN_MINUTES - first) * MINUTE, severity: 'info' }];
  if (first < 8 * 60 + 30) levels.push({ beforeMs: 30 * MINUTE, severity: 'warning' });
  if (first < 8 * 60 + 45) levels.push({ beforeMs: 15 * MINUTE, severity: 'critical' });
  else levels[0]!.severity = 'critical';
  return levels;
}
