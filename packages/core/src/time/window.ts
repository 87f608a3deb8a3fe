import { InvalidInputError } from '../errors';
import { addDays, assertInstant, describe } from './civil';
import { minutesOfDay, parseHHmm } from './hhmm';
import { assertTimeZone, zonedParts, zonedTimeToEpoch } from './zoned';

/**
 * A window of local wall-clock time repeated every day, e.g. FYERS renewals "06:00–09:00 IST".
 * - `start` is inclusive, `end` exclusive.
 * - `start > end` crosses midnight ("22:00"–"02:00"); `start === end` means a full 24 hours.
 * - `days` (0 = Sunday … 6 = Saturday) lists the weekdays on which the window *starts*, so a
 *   Friday 22:00–02:00 window still holds at 01:00 on Saturday. Default: every day.
 */
export interface DailyWindow {
  start: string;
  end: string;
  timeZone: string;
  days?: number[];
}

interface ParsedWindow {
  start: number;
  end: number;
  startHour: number;
  startMinute: number;
  timeZone: string;
  days: ReadonlySet<number> | undefined;
}

function parseWindow(w: DailyWindow): ParsedWindow {
  if (w === null || typeof w !== 'object') {
    throw new InvalidInputError({ field: 'window', message: `window must be an object { start, end, timeZone, days? }; got ${describe(w)}.` });
  }
  const start = parseHHmm(w.start, 'window.start');
  const end = parseHHmm(w.end, 'window.end');
  assertTimeZone(w.timeZone, 'window.timeZone');
  let days: Set<number> | undefined;
  if (w.days !== undefined) {
    if (!Array.isArray(w.days) || w.days.length === 0) {
      throw new InvalidInputError({
        field: 'window.days',
        message: `window.days must be a non-empty list of weekdays (0 = Sunday … 6 = Saturday), e.g. [1, 2, 3, 4, 5]; leave it out for every day. Got ${describe(w.days)}.`,
      });
    }
    w.days.forEach((d, i) => {
      if (!Number.isInteger(d) || d < 0 || d > 6) {
        throw new InvalidInputError({
          field: `window.days[${i}]`,
          message: `window.days[${i}] must be a weekday number from 0 (Sunday) to 6 (Saturday); got ${describe(d)}.`,
        });
      }
    });
    days = new Set(w.days);
  }
  return {
    start: minutesOfDay(start),
    end: minutesOfDay(end),
    startHour: start.hour,
    startMinute: start.minute,
    timeZone: w.timeZone,
    days,
  };
}

function startsOn(w: ParsedWindow, weekday: number): boolean {
  return w.days === undefined || w.days.has(((weekday % 7) + 7) % 7);
}

function inside(w: ParsedWindow, at: number): boolean {
  const p = zonedParts(at, w.timeZone);
  const m = p.hour * 60 + p.minute;
  if (w.start < w.end) return m >= w.start && m < w.end && startsOn(w, p.weekday);
  // Crossing midnight (or a full day): either today's window has begun, or yesterday's is still running.
  return (m >= w.start && startsOn(w, p.weekday)) || (m < w.end && startsOn(w, p.weekday - 1));
}

/** Whether the wall clock at `at` falls inside the window. Compared on local wall-clock minutes. */
export function isWithinDailyWindow(at: number, w: DailyWindow): boolean {
  assertInstant(at, 'at');
  return inside(parseWindow(w), at);
}

/** `after` itself when it is inside the window, else the next instant the window opens. */
export function nextWindowStart(after: number, w: DailyWindow): number {
  assertInstant(after, 'after');
  const win = parseWindow(w);
  if (inside(win, after)) return after;
  const today = zonedParts(after, win.timeZone);
  // A week covers every allowed weekday; one more day absorbs a start lost in a DST gap.
  for (let k = 0; k <= 8; k++) {
    const date = addDays(today, k);
    const t = zonedTimeToEpoch({ ...date, hour: win.startHour, minute: win.startMinute }, win.timeZone);
    // The check also drops a start that fell into a DST gap and landed outside the window.
    if (t >= after && inside(win, t)) return t;
  }
  throw new Error(`No opening of the window ${w.start}–${w.end} ${w.timeZone} found within 8 days.`);
}
