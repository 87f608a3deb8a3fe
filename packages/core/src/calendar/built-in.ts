import { NSE_2026, MCX_2026, NYSE_2026 } from './holidays-2026';
import { NYSE_2027 } from './holidays-2027';
import type { Exchange, Holiday } from './types';

function freeze(list: readonly Holiday[]): readonly Holiday[] {
  return Object.freeze(list.map((h) => Object.freeze({ ...h })));
}

const nse = Object.freeze({ 2026: freeze(NSE_2026) });
const nyse = Object.freeze({ 2026: freeze(NYSE_2026), 2027: freeze(NYSE_2027) });

/**
 * Holiday data shipped with the package, by exchange and year. BSE shares NSE's list and Nasdaq
 * shares NYSE's, as the exchanges publish identical calendars. Extend or replace it through
 * `createMarketCalendar({ holidays })`.
 */
export const BUILT_IN_HOLIDAYS: Readonly<Record<Exchange, Readonly<Record<number, readonly Holiday[]>>>> = Object.freeze({
  NSE: nse,
  BSE: nse,
  MCX: Object.freeze({ 2026: freeze(MCX_2026) }),
  NYSE: nyse,
  NASDAQ: nyse,
});
