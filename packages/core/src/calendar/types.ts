export type Exchange = 'NSE' | 'BSE' | 'MCX' | 'NYSE' | 'NASDAQ';

/**
 * - `PRE_OPEN`: NSE/BSE 09:00–09:15 IST (session `pre-open`), NYSE/NASDAQ 04:00–09:30 ET (`pre-market`).
 * - `OPEN`: the regular session.
 * - `CLOSED`: a trading day outside the regular session, including NYSE/NASDAQ after-hours.
 * - `HOLIDAY`: a weekday on which the exchange is shut all day.
 * - `WEEKEND`: Saturday or Sunday in the exchange's time zone.
 */
export type MarketState = 'PRE_OPEN' | 'OPEN' | 'CLOSED' | 'HOLIDAY' | 'WEEKEND';

export type MarketSession = 'pre-open' | 'pre-market' | 'regular' | 'after-hours' | 'closed';

/**
 * One entry of an exchange's holiday calendar, dated in the exchange's own time zone.
 * Without `earlyClose` the exchange is shut all day; with it (`HH:mm`, local) the day is a
 * trading day whose regular session ends early, e.g. NYSE 13:00 on the day after Thanksgiving.
 */
export interface Holiday {
  date: string;
  name: string;
  earlyClose?: string;
}

export interface MarketStatus {
  exchange: Exchange;
  state: MarketState;
  session: MarketSession;
  timeZone: string;
  /** Next regular-session open strictly after the instant asked about (epoch ms). */
  nextOpen: number;
  /** Next regular-session close strictly after the instant asked about (epoch ms); honours early closes. */
  nextClose: number;
  /** The closure, when `state` is `HOLIDAY`. */
  holiday?: Holiday;
}

export interface MarketCalendarOptions {
  /**
   * Extra entries per exchange, added to the built-in lists. An entry on a date the built-in list
   * already has replaces it (e.g. to turn a closure into an early close). Entries apply only to
   * the exchange they are listed under: add a BSE closure under `BSE` as well as `NSE`.
   */
  holidays?: Partial<Record<Exchange, Holiday[]>>;
  /** Use only `holidays`, ignoring the built-in lists. */
  replaceBuiltInHolidays?: boolean;
}

export interface MarketCalendar {
  marketStatus(exchange: Exchange, at: number): MarketStatus;
  /** Whether the local calendar day of `at`, in the exchange's zone, has a regular session. */
  isTradingDay(exchange: Exchange, at: number): boolean;
  /** Next regular-session open strictly after `after`. */
  nextOpen(exchange: Exchange, after: number): number;
  /** Next regular-session close strictly after `after`. */
  nextClose(exchange: Exchange, after: number): number;
  /** Closures and early closes of `year`, sorted by date. */
  holidays(exchange: Exchange, year: number): Holiday[];
  exchangeTimeZone(exchange: Exchange): string;
}
