export { IST, NEW_YORK, assertTimeZone, zonedParts, zonedTimeToEpoch, type ZonedParts, type ZonedTimeInput } from './zoned';
export { parseHHmm, type TimeOfDay } from './hhmm';
export { nextWallClock, previousWallClock } from './wall-clock';
export { isWithinDailyWindow, nextWindowStart, type DailyWindow } from './window';
export { formatInZone } from './format';
