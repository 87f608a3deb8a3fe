import { addDays, assertInstant, type CivilDate } from './civil';
import { parseHHmm } from './hhmm';
import { zonedParts, zonedTimeToEpoch } from './zoned';

// Three days cover every real-world case, including a zone skipping a whole calendar day
// (Samoa, 2011-12-30) where one of the candidate days has no such wall-clock time at all.
const SEARCH_DAYS = 3;

/**
 * First instant strictly after `after` at which the wall clock in `timeZone` shows `time`
 * ("next 06:00 IST"). Each local day yields one occurrence: on a fall-back day an ambiguous time
 * fires at its earlier instant only, and a time inside a spring-forward gap fires when the gap ends.
 */
export function nextWallClock(after: number, time: string, timeZone: string): number {
  assertInstant(after, 'after');
  const { hour, minute } = parseHHmm(time, 'time');
  const today = zonedParts(after, timeZone);
  for (let k = 0; k <= SEARCH_DAYS; k++) {
    const t = atLocal(addDays(today, k), hour, minute, timeZone);
    if (t > after) return t;
  }
  // Unreachable with real tz data; kept so a broken runtime fails loudly instead of looping.
  throw new Error(`No ${time} found in ${timeZone} within ${SEARCH_DAYS} days after ${after}.`);
}

/** Last instant at or before `atOrBefore` at which the wall clock in `timeZone` shows `time`. */
export function previousWallClock(atOrBefore: number, time: string, timeZone: string): number {
  assertInstant(atOrBefore, 'atOrBefore');
  const { hour, minute } = parseHHmm(time, 'time');
  const today = zonedParts(atOrBefore, timeZone);
  for (let k = 0; k <= SEARCH_DAYS; k++) {
    const t = atLocal(addDays(today, -k), hour, minute, timeZone);
    if (t <= atOrBefore) return t;
  }
  throw new Error(`No ${time} found in ${timeZone} within ${SEARCH_DAYS} days before ${atOrBefore}.`);
}

function atLocal(date: CivilDate, hour: number, minute: number, timeZone: string): number {
  return zonedTimeToEpoch({ year: date.year, month: date.month, day: date.day, hour, minute }, timeZone);
}
