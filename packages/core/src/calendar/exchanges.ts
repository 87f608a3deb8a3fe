import { InvalidInputError } from '../errors';
import { describe } from '../time/civil';
import { minutesOfDay, parseHHmm } from '../time/hhmm';
import { IST, NEW_YORK } from '../time/zoned';
import type { Exchange } from './types';

export const EXCHANGES: readonly Exchange[] = Object.freeze(['NSE', 'BSE', 'MCX', 'NYSE', 'NASDAQ']);

/** Session times in local wall-clock minutes; every session starts and ends on the same local day. */
export interface ExchangeSpec {
  timeZone: string;
  open: number;
  close: number;
  /** Time before `open` reported as PRE_OPEN. */
  preOpen?: { start: number; session: 'pre-open' | 'pre-market' };
  /** Extended trading after the close, reported as CLOSED / `after-hours`. */
  afterHours?: { end: number; endOnEarlyClose: number };
}

const at = (hhmm: string): number => minutesOfDay(parseHHmm(hhmm));

const INDIAN_EQUITY: ExchangeSpec = {
  timeZone: IST,
  open: at('09:15'),
  close: at('15:30'),
  preOpen: { start: at('09:00'), session: 'pre-open' },
};

const US_EQUITY: ExchangeSpec = {
  timeZone: NEW_YORK,
  open: at('09:30'),
  close: at('16:00'),
  preOpen: { start: at('04:00'), session: 'pre-market' },
  // NYSE's holiday notice: on early-close days the late trading sessions end at 17:00 ET.
  afterHours: { end: at('20:00'), endOnEarlyClose: at('17:00') },
};

export const EXCHANGE_SPECS: Readonly<Record<Exchange, ExchangeSpec>> = Object.freeze({
  NSE: INDIAN_EQUITY,
  BSE: INDIAN_EQUITY,
  // One continuous session; MCX has no equity-style pre-open call auction.
  MCX: { timeZone: IST, open: at('09:00'), close: at('23:30') },
  NYSE: US_EQUITY,
  NASDAQ: US_EQUITY,
});

export function assertExchange(exchange: unknown, field: string = 'exchange'): asserts exchange is Exchange {
  if (typeof exchange !== 'string' || !Object.hasOwn(EXCHANGE_SPECS, exchange)) {
    throw new InvalidInputError({
      field,
      message: `${field} must be one of ${EXCHANGES.join(', ')}; got ${describe(exchange)}.`,
    });
  }
}
