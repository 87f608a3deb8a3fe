import { InvalidInputError } from '../errors';
import { addDays, assertInstant, type CivilDate, describe, formatCivilDate, weekdayOf } from '../time/civil';
import { zonedParts, zonedTimeToEpoch } from '../time/zoned';
import { BUILT_IN_HOLIDAYS } from './built-in';
import { assertExchange, EXCHANGE_SPECS, EXCHANGES, type ExchangeSpec } from './exchanges';
import { validateUserHolidays } from './validate';
import type { Exchange, Holiday, MarketCalendar, MarketCalendarOptions, MarketSession, MarketState, MarketStatus } from './types';

type DayKind =
  | { kind: 'weekend' }
  | { kind: 'holiday'; holiday: Holiday }
  | { kind: 'trading'; close: number };

// Longest run of closed days we search through before blaming the holiday data.
const MAX_SEARCH_DAYS = 370;

function localMinutesToEpoch(date: CivilDate, minutes: number, timeZone: string): number {
  return zonedTimeToEpoch({ ...date, hour: Math.floor(minutes / 60), minute: minutes % 60 }, timeZone);
}

/** Builds a calendar from the built-in holiday data plus (or instead of) the caller's own. */
export function createMarketCalendar(options?: MarketCalendarOptions): MarketCalendar {
  const user = validateUserHolidays(options);
  const useBuiltIns = options?.replaceBuiltInHolidays !== true;

  // date → entry per exchange; user entries go in last so they override a built-in on the same date.
  const byDate = new Map<Exchange, Map<string, Holiday>>();
  for (const exchange of EXCHANGES) {
    const days = new Map<string, Holiday>();
    if (useBuiltIns) {
      for (const list of Object.values(BUILT_IN_HOLIDAYS[exchange])) for (const h of list) days.set(h.date, h);
    }
    for (const h of user.get(exchange) ?? []) days.set(h.date, h);
    byDate.set(exchange, days);
  }

  function dayKind(exchange: Exchange, spec: ExchangeSpec, date: CivilDate): DayKind {
    const weekday = weekdayOf(date);
    if (weekday === 0 || weekday === 6) return { kind: 'weekend' };
    const holiday = byDate.get(exchange)?.get(formatCivilDate(date));
    if (holiday && holiday.earlyClose === undefined) return { kind: 'holiday', holiday };
    const close = holiday?.earlyClose ? minutes(holiday.earlyClose) : spec.close;
    return { kind: 'trading', close };
  }

  /** First session boundary (open or close) of a trading day strictly after `after`. */
  function nextBoundary(exchange: Exchange, after: number, which: 'open' | 'close'): number {
    const spec = EXCHANGE_SPECS[exchange];
    const today = zonedParts(after, spec.timeZone);
    for (let k = 0; k <= MAX_SEARCH_DAYS; k++) {
      const date = addDays(today, k);
      const day = dayKind(exchange, spec, date);
      if (day.kind !== 'trading') continue;
      const t = localMinutesToEpoch(date, which === 'open' ? spec.open : day.close, spec.timeZone);
      if (t > after) return t;
    }
    throw new InvalidInputError({
      field: `holidays.${exchange}`,
      message: `${exchange} has no trading day within ${MAX_SEARCH_DAYS} days after ${new Date(after).toISOString()}; check the holiday list for that exchange.`,
    });
  }

  function checked(exchange: Exchange, at: number, field: string): ExchangeSpec {
    assertExchange(exchange);
    assertInstant(at, field);
    return EXCHANGE_SPECS[exchange];
  }

  return {
    marketStatus(exchange, at) {
      const spec = checked(exchange, at, 'at');
      const p = zonedParts(at, spec.timeZone);
      const day = dayKind(exchange, spec, p);
      let state: MarketState;
      let session: MarketSession = 'closed';
      if (day.kind === 'weekend') state = 'WEEKEND';
      else if (day.kind === 'holiday') state = 'HOLIDAY';
      else {
        const m = p.hour * 60 + p.minute;
        state = 'CLOSED';
        if (m >= spec.open && m < day.close) {
          state = 'OPEN';
          session = 'regular';
        } else if (spec.preOpen && m >= spec.preOpen.start && m < spec.open) {
          state = 'PRE_OPEN';
          session = spec.preOpen.session;
        } else if (spec.afterHours && m >= day.close) {
          const end = day.close < spec.close ? spec.afterHours.endOnEarlyClose : spec.afterHours.end;
          if (m < end) session = 'after-hours';
        }
      }
      const status: MarketStatus = {
        exchange,
        state,
        session,
        timeZone: spec.timeZone,
        nextOpen: nextBoundary(exchange, at, 'open'),
        nextClose: nextBoundary(exchange, at, 'close'),
      };
      if (day.kind === 'holiday') status.holiday = { ...day.holiday };
      return status;
    },

    isTradingDay(exchange, at) {
      const spec = checked(exchange, at, 'at');
      return dayKind(exchange, spec, zonedParts(at, spec.timeZone)).kind === 'trading';
    },

    nextOpen(exchange, after) {
      checked(exchange, after, 'after');
      return nextBoundary(exchange, after, 'open');
    },

    nextClose(exchange, after) {
      checked(exchange, after, 'after');
      return nextBoundary(exchange, after, 'close');
    },

    holidays(exchange, year) {
      assertExchange(exchange);
      if (!Number.isInteger(year)) {
        throw new InvalidInputError({ field: 'year', message: `year must be a whole number such as 2026; got ${describe(year)}.` });
      }
      const prefix = `${String(year).padStart(4, '0')}-`;
      return [...(byDate.get(exchange)?.values() ?? [])]
        .filter((h) => h.date.startsWith(prefix))
        .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0))
        .map((h) => ({ ...h }));
    },

    exchangeTimeZone(exchange) {
      assertExchange(exchange);
      return EXCHANGE_SPECS[exchange].timeZone;
    },
  };
}

function minutes(hhmm: string): number {
  // Entries are validated (built-ins by test, user data on the way in), so this cannot fail.
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

// Created on first use so importing the package does no work.
let defaultCalendar: MarketCalendar | undefined;

/** `marketStatus` of a calendar with the built-in holidays only. */
export function marketStatus(exchange: Exchange, at: number): MarketStatus {
  defaultCalendar ??= createMarketCalendar();
  return defaultCalendar.marketStatus(exchange, at);
}
