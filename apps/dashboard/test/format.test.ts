import { describe, expect, it } from 'vitest';
import {
  countdown,
  deadlineSentence,
  eventSummary,
  filterAccounts,
  filterEvents,
  formatClock,
  formatDuration,
  formatWhen,
  IST,
  lastRefreshText,
  marketText,
  needsHuman,
  NEW_YORK,
  nextRefreshText,
  relative,
  sinkText,
  stateLabel,
  zoneFor,
  zoneLabel,
} from '../src/format';
import type { AccountView, DaemonEvent } from '../src/types';

// Sat 21 Nov 2026 12:00 UTC = 17:30 IST = 07:00 EST.
const NOW = Date.UTC(2026, 10, 21, 12, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;
// Mon 23 Nov 2026 09:00 IST.
const MON_0900_IST = Date.UTC(2026, 10, 23, 3, 30);

const account = (over: Partial<AccountView> = {}): AccountView => ({
  accountId: 'kite-main',
  broker: 'kite',
  state: 'valid',
  tokenValid: true,
  capabilities: { renewal: 'none', interactiveLogin: 'oauth-redirect', validate: true },
  ...over,
});

describe('time', () => {
  it('formats instants in IST and New York time, with the date when six days or more away', () => {
    expect(formatWhen(MON_0900_IST, IST, NOW)).toBe('Mon 09:00 IST');
    expect(formatWhen(Date.UTC(2026, 10, 21, 14, 30), NEW_YORK, NOW)).toBe('Sat 09:30 EST');
    expect(formatWhen(Date.UTC(2026, 6, 1, 13, 30), NEW_YORK, Date.UTC(2026, 6, 1))).toBe('Wed 09:30 EDT');
    expect(formatWhen(NOW + 7 * 24 * HOUR, IST, NOW)).toBe('Sat 28 Nov 17:30 IST');
    expect(formatClock(NOW + 5_000, IST)).toBe('17:30:05 IST');
    expect(zoneLabel(NOW, IST)).toBe('IST');
    expect(zoneLabel(NOW, 'UTC')).toBe('UTC');
    expect(formatClock(NOW, 'Asia/Calcutta')).toBe('17:30:00 IST'); // Chromium's name for IST
  });

  it('picks the zone humans of each broker live by', () => {
    for (const b of ['fyers', 'kite', 'dhan', 'kotak']) expect(zoneFor(b)).toBe(IST);
    expect(zoneFor('schwab')).toBe(NEW_YORK);
    expect(zoneFor('unknown')).toBe('UTC');
  });

  it('says durations in their two largest units', () => {
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(12 * MIN + 5_000)).toBe('12m 05s');
    expect(formatDuration(5 * HOUR + 7 * MIN + 59_000)).toBe('5h 07m');
    expect(formatDuration(51 * HOUR)).toBe('2d 3h');
    expect(formatDuration(-90_000)).toBe('1m 30s');
    expect(relative(NOW + 3 * HOUR, NOW)).toBe('in 3h 00m');
    expect(relative(NOW - 70_000, NOW)).toBe('1m 10s ago');
    expect(relative(NOW + 400, NOW)).toBe('now');
  });

  it('counts down to expiry and says when a token is already dead', () => {
    expect(countdown(undefined, NOW)).toEqual({ text: 'no token', tone: 'muted' });
    expect(countdown(NOW + 2 * HOUR, NOW)).toEqual({ text: 'expires in 2h 00m', tone: 'ok' });
    expect(countdown(NOW + 10 * MIN, NOW)).toEqual({ text: 'expires in 10m 00s', tone: 'warn' });
    expect(countdown(NOW - 3 * MIN, NOW)).toEqual({ text: 'expired 3m 00s ago', tone: 'bad' });
  });
});

describe('the human deadline', () => {
  it('reads "bots stop Mon 09:00 IST unless you log in", more urgent as it nears', () => {
    const a = account({ humanDeadline: { at: MON_0900_IST, reason: 'daily-login' } });
    expect(deadlineSentence(a, NOW)).toEqual({ text: 'bots stop Mon 09:00 IST unless you log in', tone: 'info' });
    expect(deadlineSentence(a, MON_0900_IST - 5 * HOUR).tone).toBe('warn');
    expect(deadlineSentence(a, MON_0900_IST - HOUR).tone).toBe('bad');
    expect(deadlineSentence(a, MON_0900_IST + MIN)).toEqual({ text: 'bots stopped at Mon 09:00 IST: log in now', tone: 'bad' });
  });

  it('uses New York time for Schwab', () => {
    const a = account({ broker: 'schwab', capabilities: { renewal: 'refresh-token', interactiveLogin: 'oauth-redirect', validate: true }, humanDeadline: { at: Date.UTC(2026, 10, 26, 15, 0), reason: 'refresh-token-expiry' } });
    expect(deadlineSentence(a, NOW).text).toBe('bots stop Thu 10:00 EST unless you log in');
  });

  it('without a deadline: unattended renewal, or stopped until a login', () => {
    expect(deadlineSentence(account({ broker: 'kotak', capabilities: { renewal: 'relogin', validate: true } }), NOW)).toEqual({ text: 'renews unattended: no login needed', tone: 'ok' });
    expect(deadlineSentence(account({ state: 'login_required' }), NOW)).toEqual({ text: 'bots are stopped until you log in', tone: 'bad' });
  });

  it('flags accounts that need a human', () => {
    expect(needsHuman(account({ state: 'login_required' }), NOW)).toBe(true);
    expect(needsHuman(account({ humanDeadline: { at: NOW + HOUR, reason: 'daily-login' } }), NOW)).toBe(true);
    expect(needsHuman(account({ humanDeadline: { at: NOW + 5 * HOUR, reason: 'daily-login' } }), NOW)).toBe(false);
  });
});

describe('card lines', () => {
  it('says when the next refresh or retry runs', () => {
    expect(nextRefreshText(account(), NOW)).toBe('none: this broker renews only through a login');
    expect(nextRefreshText(account({ broker: 'kotak', capabilities: { renewal: 'relogin', validate: true }, nextRefreshAt: NOW + 2 * HOUR }), NOW)).toBe('Sat 19:30 IST (in 2h 00m)');
    expect(nextRefreshText(account({ state: 'retrying', nextRetryAt: NOW + 30_000 }), NOW)).toBe('retry Sat 17:30 IST (in 30s)');
    expect(nextRefreshText(account({ state: 'refreshing' }), NOW)).toBe('refreshing now');
    expect(nextRefreshText(account({ nextRefreshAt: NOW - 1 }), NOW)).toBe('due now');
  });

  it('shows the last refresh, and its error code and message when it failed', () => {
    expect(lastRefreshText(account(), NOW)).toEqual({ text: 'none yet', tone: 'muted' });
    const ok = account({ lastRefresh: { at: NOW - 65_000, ok: true, durationMs: 120, source: 'manual' } });
    expect(lastRefreshText(ok, NOW)).toEqual({ text: 'ok Sat 17:28 IST (1m 05s ago) · manual · 120 ms', tone: 'ok' });
    const error = { code: 'LOGIN_REQUIRED', message: 'Kite needs a daily login.', at: NOW - 1000, isRetryable: false, needsHuman: true };
    const failed = account({ lastRefresh: { at: NOW - 1000, ok: false, durationMs: 40, source: 'schedule' }, lastError: error });
    expect(lastRefreshText(failed, NOW)).toEqual({ text: 'failed Sat 17:29 IST (1s ago) · schedule · 40 ms', tone: 'bad', error: { code: 'LOGIN_REQUIRED', message: 'Kite needs a daily login.' } });
    // An old error after a later success is history, not news.
    const healed = account({ lastRefresh: { at: NOW, ok: true, durationMs: 5, source: 'retry' }, lastError: error });
    expect(lastRefreshText(healed, NOW).error).toBeUndefined();
    expect(lastRefreshText(account({ lastError: error }), NOW).error?.code).toBe('LOGIN_REQUIRED');
    // A login after the failure replaced the token: the failure is no longer news.
    expect(lastRefreshText({ ...failed, issuedAt: NOW }, NOW)).toEqual({ text: 'failed Sat 17:29 IST (1s ago) · schedule · 40 ms (LOGIN_REQUIRED); a newer token arrived since', tone: 'muted' });
  });

  it("describes a sink's last delivery", () => {
    expect(sinkText({ name: 'raw:/t', type: 'raw', delivered: 0, failed: 0 }, NOW)).toEqual({ text: 'nothing delivered yet', tone: 'muted' });
    expect(sinkText({ name: 'raw:/t', type: 'raw', delivered: 3, failed: 0, lastDelivery: { at: NOW - 12_000, ok: true, version: 3 } }, NOW)).toEqual({ text: 'delivered v3 12s ago', tone: 'ok' });
    expect(sinkText({ name: 's', type: 'unix-socket', delivered: 0, failed: 1, lastDelivery: { at: NOW - 1000, ok: false, version: 4, error: 'ECONNREFUSED' } }, NOW).text).toBe('failed v4 1s ago: ECONNREFUSED');
  });

  it('states a market and its next open or close in its own zone', () => {
    const closed = { status: 'WEEKEND' as const, session: 'closed', live: false, weekend: true, next_open: new Date(Date.UTC(2026, 10, 23, 3, 45)).toISOString(), next_close: null };
    expect(marketText(closed, IST, NOW)).toEqual({ status: 'Weekend', next: 'opens Mon 09:15 IST (in 1d 15h)', tone: 'muted' });
    const open = { status: 'OPEN' as const, session: 'regular', live: true, next_open: null, next_close: new Date(NOW + 2 * HOUR).toISOString() };
    expect(marketText(open, NEW_YORK, NOW)).toEqual({ status: 'Open', next: 'closes Sat 09:00 EST (in 2h 00m)', tone: 'ok' });
    expect(marketText({ ...closed, status: 'HOLIDAY', holiday: 'Guru Nanak Jayanti' }, IST, NOW).status).toBe('Holiday (Guru Nanak Jayanti)');
  });

  it('names every state in words', () => {
    expect(stateLabel('login_required')).toBe('Login required');
    expect(stateLabel('missing')).toBe('No token yet');
  });
});

describe('events and filters', () => {
  const events: DaemonEvent[] = [
    { id: 1, at: NOW, type: 'state', accountId: 'kite-main', from: 'missing', to: 'login_required' },
    { id: 2, at: NOW, type: 'token', accountId: 'kite-main', broker: 'kite', version: 1, expiresAt: Date.UTC(2026, 10, 22, 0, 30), source: 'login' },
    { id: 3, at: NOW, type: 'sink', accountId: 'kite-main', sink: 'json-file:/x.json', ok: false, error: 'EACCES' },
    { id: 4, at: NOW, type: 'alert', accountId: 'kotak-main', alertId: 'a1', kind: 'refresh_failed', severity: 'warning', delivered: true, sink: 'telegram' },
    { id: 5, at: NOW, type: 'state', accountId: 'kotak-main', from: 'valid', to: 'retrying', error: { code: 'BROKER_UNAVAILABLE', message: 'HTTP 503', at: NOW, isRetryable: true, needsHuman: false } },
  ];

  it('summarises each event in one line', () => {
    expect(events.map((e) => eventSummary(e, IST))).toEqual([
      'No token yet → Login required',
      'new token v1 (login), expires Sun 06:00 IST',
      'json-file:/x.json: failed: EACCES',
      'warning alert "refresh_failed" sent via telegram',
      'Valid → Retrying: BROKER_UNAVAILABLE: HTTP 503',
    ]);
  });

  it('filters by type, account and text, newest first', () => {
    const all = { types: ['token', 'state', 'alert', 'sink'] as const, account: '', text: '' };
    expect(filterEvents(events, all, IST).map((e) => e.id)).toEqual([5, 4, 3, 2, 1]);
    expect(filterEvents(events, { ...all, types: ['state'] }, IST).map((e) => e.id)).toEqual([5, 1]);
    expect(filterEvents(events, { ...all, account: 'kite-main' }, IST).map((e) => e.id)).toEqual([3, 2, 1]);
    expect(filterEvents(events, { ...all, text: 'broker_unavailable' }, IST).map((e) => e.id)).toEqual([5]);
  });

  it('filters accounts by broker and state', () => {
    const list = [account(), account({ accountId: 'kotak-main', broker: 'kotak', state: 'retrying' })];
    expect(filterAccounts(list, { broker: '', state: '' })).toHaveLength(2);
    expect(filterAccounts(list, { broker: 'kotak', state: '' }).map((a) => a.accountId)).toEqual(['kotak-main']);
    expect(filterAccounts(list, { broker: '', state: 'valid' }).map((a) => a.accountId)).toEqual(['kite-main']);
    expect(filterAccounts(list, { broker: 'kite', state: 'retrying' })).toEqual([]);
  });
});
