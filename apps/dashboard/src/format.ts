// Pure formatting: everything the cards, the market strip and the events view say in words.
// Times are epoch milliseconds; time zones exist only here, at the edge.
import type { AccountState, AccountView, DaemonEvent, EventType, MarketView, SinkView } from './types';

export const IST = 'Asia/Kolkata';
export const NEW_YORK = 'America/New_York';

const BROKERS: Record<string, { name: string; zone: string }> = {
  fyers: { name: 'FYERS', zone: IST },
  kite: { name: 'Zerodha Kite', zone: IST },
  dhan: { name: 'Dhan', zone: IST },
  kotak: { name: 'Kotak Neo', zone: IST },
  schwab: { name: 'Schwab', zone: NEW_YORK },
};

export const brokerName = (broker: string): string => BROKERS[broker]?.name ?? broker;

/** The zone a broker's humans live by: IST for Indian brokers, New York for Schwab. */
export const zoneFor = (broker: string): string => BROKERS[broker]?.zone ?? 'UTC';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const formatters = new Map<string, Intl.DateTimeFormat>();
function partsOf(at: number, timeZone: string, withDate: boolean): Record<string, string> {
  const key = `${timeZone}|${withDate}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      ...(withDate ? { day: 'numeric', month: 'short' } : {}),
    });
    formatters.set(key, f);
  }
  return Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
}

/** "IST" for India; the zone's usual abbreviation elsewhere ("EST"/"EDT" for New York). */
export function zoneLabel(at: number, timeZone: string): string {
  if (timeZone === IST || timeZone === 'Asia/Calcutta') return 'IST';
  if (timeZone === 'UTC') return 'UTC';
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'short' }).formatToParts(at).find((p) => p.type === 'timeZoneName');
  return name?.value ?? timeZone;
}

/** "Mon 09:00 IST"; with the date ("Mon 24 Nov 09:00 IST") when it is six days or more from `now`. */
export function formatWhen(at: number, timeZone: string, now: number): string {
  const withDate = Math.abs(at - now) >= 6 * DAY;
  const p = partsOf(at, timeZone, withDate);
  const date = withDate ? ` ${p.day} ${p.month}` : '';
  return `${p.weekday}${date} ${p.hour}:${p.minute} ${zoneLabel(at, timeZone)}`;
}

/** "10:32:05 IST". */
export function formatClock(at: number, timeZone: string): string {
  const p = partsOf(at, timeZone, false);
  return `${p.hour}:${p.minute}:${p.second} ${zoneLabel(at, timeZone)}`;
}

/** A length of time in its two largest units: "2d 3h", "5h 07m", "12m 05s", "45s". */
export function formatDuration(ms: number): string {
  const total = Math.floor(Math.abs(ms) / 1000);
  const [d, h, m, s] = [Math.floor(total / 86_400), Math.floor((total % 86_400) / 3600), Math.floor((total % 3600) / 60), total % 60];
  const two = (n: number) => String(n).padStart(2, '0');
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${two(m)}m`;
  if (m > 0) return `${m}m ${two(s)}s`;
  return `${s}s`;
}

/** "in 3h 05m" or "4m 10s ago". */
export function relative(at: number, now: number): string {
  if (Math.abs(at - now) < 1000) return 'now';
  return at > now ? `in ${formatDuration(at - now)}` : `${formatDuration(now - at)} ago`;
}

/** The live countdown to access-token expiry. */
export function countdown(expiresAt: number | undefined, now: number): { text: string; tone: Tone } {
  if (expiresAt === undefined) return { text: 'no token', tone: 'muted' };
  const left = expiresAt - now;
  if (left <= 0) return { text: `expired ${formatDuration(-left)} ago`, tone: 'bad' };
  return { text: `expires in ${formatDuration(left)}`, tone: left < 15 * MINUTE ? 'warn' : 'ok' };
}

export type Tone = 'ok' | 'info' | 'warn' | 'bad' | 'muted';

const STATES: Record<AccountState, { label: string; hint: string; tone: Tone }> = {
  valid: { label: 'Valid', hint: 'the token works', tone: 'ok' },
  refreshing: { label: 'Refreshing', hint: 'getting a new token', tone: 'info' },
  retrying: { label: 'Retrying', hint: 'renewal failed; the current token still works', tone: 'warn' },
  login_required: { label: 'Login required', hint: 'only a human can renew this session', tone: 'bad' },
  expired: { label: 'Expired', hint: 'bots using this account are stopped', tone: 'bad' },
  missing: { label: 'No token yet', hint: 'waiting for the first token', tone: 'muted' },
};

export const stateLabel = (state: AccountState): string => STATES[state]?.label ?? state;
export const stateHint = (state: AccountState): string => STATES[state]?.hint ?? '';
export const stateTone = (state: AccountState): Tone => STATES[state]?.tone ?? 'muted';

/** The human deadline: "bots stop Mon 09:00 IST unless you log in". */
export function deadlineSentence(a: AccountView, now: number): { text: string; tone: Tone } {
  const zone = zoneFor(a.broker);
  const d = a.humanDeadline;
  if (d) {
    const when = formatWhen(d.at, zone, now);
    if (d.at <= now) return { text: `bots stopped at ${when}: log in now`, tone: 'bad' };
    const left = d.at - now;
    const tone: Tone = left <= 2 * HOUR ? 'bad' : left <= DAY ? 'warn' : 'info';
    return { text: `bots stop ${when} unless you log in`, tone };
  }
  if (a.state === 'login_required' || a.state === 'expired') return { text: 'bots are stopped until you log in', tone: 'bad' };
  if (a.capabilities.renewal !== 'none') return { text: 'renews unattended: no login needed', tone: 'ok' };
  return { text: 'no deadline known', tone: 'muted' };
}

export const DEADLINE_REASONS: Record<string, string> = {
  'daily-login': 'the broker needs a daily login',
  'refresh-token-expiry': 'the refresh token runs out',
  'login-required': 'a login is required',
};

/** When the engine renews next, in words. */
export function nextRefreshText(a: AccountView, now: number): string {
  const zone = zoneFor(a.broker);
  if (a.state === 'refreshing') return 'refreshing now';
  if (a.nextRetryAt !== undefined) return `retry ${formatWhen(a.nextRetryAt, zone, now)} (${relative(a.nextRetryAt, now)})`;
  if (a.nextRefreshAt !== undefined) {
    return a.nextRefreshAt <= now ? 'due now' : `${formatWhen(a.nextRefreshAt, zone, now)} (${relative(a.nextRefreshAt, now)})`;
  }
  if (a.capabilities.renewal === 'none') return 'none: this broker renews only through a login';
  return 'not scheduled';
}

/** The last refresh attempt and, when it failed, the error to show with it. */
export function lastRefreshText(a: AccountView, now: number): { text: string; tone: Tone; error?: { code: string; message: string } } {
  const zone = zoneFor(a.broker);
  const r = a.lastRefresh;
  const e = a.lastError;
  const showError = e && (!r || !r.ok || e.at > r.at);
  const error = showError ? { code: e.code, message: e.message } : undefined;
  if (!r) return { text: e ? `failed ${formatWhen(e.at, zone, now)}` : 'none yet', tone: e ? 'bad' : 'muted', ...(error ? { error } : {}) };
  const text = `${r.ok ? 'ok' : 'failed'} ${formatWhen(r.at, zone, now)} (${relative(r.at, now)}) · ${r.source} · ${r.durationMs} ms`;
  // A failure followed by a newer token (a login) is history: name it, without the alarm.
  if (!r.ok && a.issuedAt !== undefined && a.issuedAt > r.at) {
    return { text: `${text}${error ? ` (${error.code})` : ''}; a newer token arrived since`, tone: 'muted' };
  }
  return { text, tone: r.ok && !error ? 'ok' : 'bad', ...(error ? { error } : {}) };
}

/** One sink's last delivery: "delivered v3 12s ago" or "failed 2m 00s ago: ECONNREFUSED". */
export function sinkText(s: SinkView, now: number): { text: string; tone: Tone } {
  const d = s.lastDelivery;
  if (!d) return { text: 'nothing delivered yet', tone: 'muted' };
  if (d.ok) return { text: `delivered v${d.version} ${relative(d.at, now)}`, tone: 'ok' };
  return { text: `failed v${d.version} ${relative(d.at, now)}: ${d.error ?? 'unknown error'}`, tone: 'bad' };
}

const MARKET: Record<string, { label: string; tone: Tone }> = {
  OPEN: { label: 'Open', tone: 'ok' },
  PRE_OPEN: { label: 'Pre-open', tone: 'info' },
  CLOSED: { label: 'Closed', tone: 'muted' },
  HOLIDAY: { label: 'Holiday', tone: 'muted' },
  WEEKEND: { label: 'Weekend', tone: 'muted' },
};

export const MARKET_ZONES = { NSE: IST, NYSE: NEW_YORK } as const;

/** "Open · closes Mon 15:30 IST (in 2h 10m)". */
export function marketText(m: MarketView, timeZone: string, now: number): { status: string; next: string; tone: Tone } {
  const info = MARKET[m.status] ?? { label: m.status, tone: 'muted' as Tone };
  const status = m.holiday ? `${info.label} (${m.holiday})` : info.label;
  const at = Date.parse((m.live ? m.next_close : m.next_open) ?? '');
  const next = Number.isNaN(at) ? '' : `${m.live ? 'closes' : 'opens'} ${formatWhen(at, timeZone, now)} (${relative(at, now)})`;
  return { status, next, tone: info.tone };
}

/** One line per event, never with a secret (the daemon's events carry none). */
export function eventSummary(e: DaemonEvent, timeZone: string): string {
  switch (e.type) {
    case 'token':
      return `new token v${e.version ?? '?'} (${e.source ?? 'unknown'})${e.expiresAt ? `, expires ${formatWhen(e.expiresAt, timeZone, e.at)}` : ''}`;
    case 'state': {
      const err = typeof e.error === 'object' && e.error ? `: ${e.error.code}: ${e.error.message}` : '';
      return `${e.from ? stateLabel(e.from) : '?'} → ${e.to ? stateLabel(e.to) : '?'}${err}`;
    }
    case 'alert':
      return `${e.severity ?? 'info'} alert "${e.kind ?? 'alert'}" ${e.delivered ? 'sent' : 'NOT delivered'} via ${e.sink ?? '?'}`;
    case 'sink':
      return `${e.sink ?? 'sink'}: ${e.ok ? 'token delivered' : `failed: ${typeof e.error === 'string' ? e.error : 'unknown error'}`}`;
    default:
      return String((e as { type: string }).type);
  }
}

export const eventTone = (e: DaemonEvent): Tone => {
  if (e.type === 'state' && e.to) return stateTone(e.to);
  if (e.type === 'alert') return e.severity === 'critical' ? 'bad' : e.severity === 'warning' ? 'warn' : 'info';
  if (e.type === 'sink') return e.ok ? 'ok' : 'bad';
  return 'ok';
};

export interface EventFilter {
  types: readonly EventType[];
  account: string;
  text: string;
}

/** Events matching the filter, newest first. */
export function filterEvents(events: readonly DaemonEvent[], f: EventFilter, timeZone: string): DaemonEvent[] {
  const needle = f.text.trim().toLowerCase();
  return events
    .filter((e) => f.types.includes(e.type))
    .filter((e) => !f.account || e.accountId === f.account)
    .filter((e) => !needle || `${e.accountId ?? ''} ${e.type} ${eventSummary(e, timeZone)}`.toLowerCase().includes(needle))
    .sort((a, b) => b.id - a.id);
}

export interface AccountFilter {
  broker: string;
  state: string;
}

export function filterAccounts(accounts: readonly AccountView[], f: AccountFilter): AccountView[] {
  return accounts.filter((a) => (!f.broker || a.broker === f.broker) && (!f.state || a.state === f.state));
}

/** Accounts a human has to act on: a login is required, the token is dead, or the deadline is near. */
export function needsHuman(a: AccountView, now: number): boolean {
  if (a.state === 'login_required' || a.state === 'expired') return true;
  return a.humanDeadline !== undefined && a.humanDeadline.at - now <= 2 * HOUR;
}
