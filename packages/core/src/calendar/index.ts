export type {
  Exchange,
  Holiday,
  MarketCalendar,
  MarketCalendarOptions,
  MarketSession,
  MarketState,
  MarketStatus,
} from './types';
export { EXCHANGES } from './exchanges';
export { BUILT_IN_HOLIDAYS } from './built-in';
export { createMarketCalendar, marketStatus } from './market-calendar';
