import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../src/errors';
import {
  assertTimeZone,
  formatInZone,
  IST,
  isWithinDailyWindow,
  NEW_YORK,
  nextWallClock,
  nextWindowStart,
  parseHHmm,
  previousWallClock,
  zonedParts,
  zonedTimeToEpoch,
  type DailyWindow,
} from '../src/time';

/** Runs `fn`, expects an InvalidInputError, and returns it for closer checks. */
function invalid(fn: () => unknown): InvalidInputError {
  try {
    fn();
  } catch (error) {
    expect(InvalidInputError.isInstance(error)).toBe(true);
    return error as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError, nothing was thrown');
}

describe('zonedParts', () => {
  it('gives IST wall-clock fields and the weekday', () => {
    expect(zonedParts(Date.UTC(2026, 0, 5, 3, 30, 15, 999), IST)).toEqual({
      year: 2026,
      month: 1,
      day: 5,
      hour: 9,
      minute: 0,
      second: 15,
      weekday: 1,
    });
  });

  it('reports local midnight as hour 0 and rolls the date before UTC does', () => {
    const p = zonedParts(Date.UTC(2026, 0, 4, 18, 30), IST);
    expect([p.year, p.month, p.day, p.hour, p.minute, p.weekday]).toEqual([2026, 1, 5, 0, 0, 1]);
  });

  it('follows New York across the spring-forward jump', () => {
    const before = zonedParts(Date.UTC(2026, 2, 8, 6, 59, 59), NEW_YORK);
    const after = zonedParts(Date.UTC(2026, 2, 8, 7, 0, 0), NEW_YORK);
    expect([before.hour, before.minute, before.second]).toEqual([1, 59, 59]);
    expect([after.hour, after.minute, after.second]).toEqual([3, 0, 0]);
  });

  it('rejects unknown zones and non-numeric instants', () => {
    expect(invalid(() => zonedParts(0, 'Mars/Olympus')).field).toBe('timeZone');
    expect(invalid(() => zonedParts(Number.NaN, IST)).field).toBe('at');
  });
});

describe('zonedTimeToEpoch', () => {
  it('converts IST local time (no DST)', () => {
    expect(zonedTimeToEpoch({ year: 2026, month: 1, day: 5, hour: 9, minute: 15 }, IST)).toBe(Date.UTC(2026, 0, 5, 3, 45));
    expect(zonedTimeToEpoch({ year: 2026, month: 1, day: 5 }, IST)).toBe(Date.UTC(2026, 0, 4, 18, 30));
  });

  it('maps 09:30 New York to 14:30Z before and 13:30Z after the March 8 2026 change', () => {
    expect(zonedTimeToEpoch({ year: 2026, month: 3, day: 6, hour: 9, minute: 30 }, NEW_YORK)).toBe(Date.UTC(2026, 2, 6, 14, 30));
    expect(zonedTimeToEpoch({ year: 2026, month: 3, day: 9, hour: 9, minute: 30 }, NEW_YORK)).toBe(Date.UTC(2026, 2, 9, 13, 30));
  });

  it('maps 09:30 New York to 13:30Z before and 14:30Z after the November 1 2026 change', () => {
    expect(zonedTimeToEpoch({ year: 2026, month: 10, day: 30, hour: 9, minute: 30 }, NEW_YORK)).toBe(Date.UTC(2026, 9, 30, 13, 30));
    expect(zonedTimeToEpoch({ year: 2026, month: 11, day: 2, hour: 9, minute: 30 }, NEW_YORK)).toBe(Date.UTC(2026, 10, 2, 14, 30));
  });

  it('resolves a time in the spring-forward gap to the end of the gap', () => {
    // 02:30 does not exist on 2026-03-08 in New York; the gap ends at 03:00 EDT = 07:00Z.
    expect(zonedTimeToEpoch({ year: 2026, month: 3, day: 8, hour: 2, minute: 30 }, NEW_YORK)).toBe(Date.UTC(2026, 2, 8, 7, 0));
    expect(zonedTimeToEpoch({ year: 2026, month: 3, day: 8, hour: 2, minute: 0 }, NEW_YORK)).toBe(Date.UTC(2026, 2, 8, 7, 0));
    // London: 01:30 on 2026-03-29 does not exist; BST starts at 01:00Z.
    expect(zonedTimeToEpoch({ year: 2026, month: 3, day: 29, hour: 1, minute: 30 }, 'Europe/London')).toBe(Date.UTC(2026, 2, 29, 1, 0));
  });

  it('resolves an ambiguous fall-back time to the earlier instant', () => {
    // 01:30 happens twice on 2026-11-01 in New York: 05:30Z (EDT) and 06:30Z (EST).
    expect(zonedTimeToEpoch({ year: 2026, month: 11, day: 1, hour: 1, minute: 30 }, NEW_YORK)).toBe(Date.UTC(2026, 10, 1, 5, 30));
    // The hour after the repeat is unambiguous.
    expect(zonedTimeToEpoch({ year: 2026, month: 11, day: 1, hour: 2, minute: 0 }, NEW_YORK)).toBe(Date.UTC(2026, 10, 1, 7, 0));
  });

  it('round-trips with zonedParts on ordinary times', () => {
    for (const at of [Date.UTC(2026, 5, 15, 12, 34, 56), Date.UTC(2027, 0, 1, 0, 0, 0), Date.UTC(2026, 10, 1, 7, 0, 0)]) {
      for (const tz of [IST, NEW_YORK, 'Europe/London', 'Australia/Sydney', 'UTC']) {
        expect(zonedTimeToEpoch(zonedParts(at, tz), tz)).toBe(at);
      }
    }
  });

  it('rejects impossible dates and times', () => {
    expect(invalid(() => zonedTimeToEpoch({ year: 2026, month: 2, day: 30 }, IST)).field).toBe('date');
    expect(invalid(() => zonedTimeToEpoch({ year: 2026, month: 13, day: 1 }, IST)).field).toBe('date');
    expect(invalid(() => zonedTimeToEpoch({ year: 2026, month: 1, day: 1, hour: 24 }, IST)).field).toBe('hour');
    expect(invalid(() => zonedTimeToEpoch({ year: 2026, month: 1, day: 1, minute: 1.5 }, IST)).field).toBe('minute');
    expect(invalid(() => zonedTimeToEpoch({ year: 2026, month: 1, day: 1 }, 'Nowhere/City')).field).toBe('timeZone');
  });
});

describe('parseHHmm', () => {
  it('accepts HH:mm and H:mm', () => {
    expect(parseHHmm('06:00')).toEqual({ hour: 6, minute: 0 });
    expect(parseHHmm('9:15')).toEqual({ hour: 9, minute: 15 });
    expect(parseHHmm('00:00')).toEqual({ hour: 0, minute: 0 });
    expect(parseHHmm('23:59')).toEqual({ hour: 23, minute: 59 });
  });

  it.each(['25:00', '24:00', '12:60', '6', 'ab', '', '06:00:00', '6:5', '-1:00'])('rejects %j', (value) => {
    const error = invalid(() => parseHHmm(value, 'refresh.at'));
    expect(error.field).toBe('refresh.at');
    expect(error.message).toContain('refresh.at');
    expect(error.message).toContain('HH:mm');
  });

  it('names "time" when no field is given', () => {
    expect(invalid(() => parseHHmm('7')).field).toBe('time');
  });
});

describe('nextWallClock / previousWallClock', () => {
  const SIX_IST_JAN5 = Date.UTC(2026, 0, 5, 0, 30); // 06:00 IST on Monday 2026-01-05

  it('finds the next 06:00 IST from before, at and after 06:00', () => {
    expect(nextWallClock(Date.UTC(2026, 0, 5, 0, 0), '06:00', IST)).toBe(SIX_IST_JAN5); // 05:30 IST
    expect(nextWallClock(SIX_IST_JAN5, '06:00', IST)).toBe(Date.UTC(2026, 0, 6, 0, 30)); // strictly after
    expect(nextWallClock(SIX_IST_JAN5 + 1, '06:00', IST)).toBe(Date.UTC(2026, 0, 6, 0, 30));
    expect(nextWallClock(Date.UTC(2026, 0, 5, 12, 0), '06:00', IST)).toBe(Date.UTC(2026, 0, 6, 0, 30));
  });

  it('handles the IST date being a day ahead of the UTC date', () => {
    // 00:15 IST on Jan 5 is still Jan 4 in UTC.
    expect(nextWallClock(Date.UTC(2026, 0, 4, 18, 45), '06:00', IST)).toBe(SIX_IST_JAN5);
    // 23:45 IST on Jan 4.
    expect(nextWallClock(Date.UTC(2026, 0, 4, 18, 15), '06:00', IST)).toBe(SIX_IST_JAN5);
    // Across the year end.
    expect(nextWallClock(Date.UTC(2026, 11, 31, 12, 0), '06:00', IST)).toBe(Date.UTC(2027, 0, 1, 0, 30));
  });

  it('finds the previous 06:00 IST, inclusive', () => {
    expect(previousWallClock(SIX_IST_JAN5, '06:00', IST)).toBe(SIX_IST_JAN5);
    expect(previousWallClock(SIX_IST_JAN5 - 1, '06:00', IST)).toBe(Date.UTC(2026, 0, 4, 0, 30));
    expect(previousWallClock(Date.UTC(2026, 0, 4, 18, 45), '06:00', IST)).toBe(Date.UTC(2026, 0, 4, 0, 30));
  });

  it('keeps 09:30 New York on the wall clock across both DST changes', () => {
    expect(nextWallClock(Date.UTC(2026, 2, 6, 15, 0), '09:30', NEW_YORK)).toBe(Date.UTC(2026, 2, 7, 14, 30));
    expect(nextWallClock(Date.UTC(2026, 2, 7, 15, 0), '09:30', NEW_YORK)).toBe(Date.UTC(2026, 2, 8, 13, 30));
    expect(nextWallClock(Date.UTC(2026, 9, 31, 14, 0), '09:30', NEW_YORK)).toBe(Date.UTC(2026, 10, 1, 14, 30));
    expect(previousWallClock(Date.UTC(2026, 2, 8, 13, 29), '09:30', NEW_YORK)).toBe(Date.UTC(2026, 2, 7, 14, 30));
  });

  it('fires a time inside the spring-forward gap when the gap ends', () => {
    expect(nextWallClock(Date.UTC(2026, 2, 8, 5, 0), '02:30', NEW_YORK)).toBe(Date.UTC(2026, 2, 8, 7, 0));
    expect(nextWallClock(Date.UTC(2026, 2, 8, 7, 0), '02:30', NEW_YORK)).toBe(Date.UTC(2026, 2, 9, 6, 30));
  });

  it('fires an ambiguous fall-back time once, at the earlier instant', () => {
    expect(nextWallClock(Date.UTC(2026, 10, 1, 4, 0), '01:30', NEW_YORK)).toBe(Date.UTC(2026, 10, 1, 5, 30));
    expect(nextWallClock(Date.UTC(2026, 10, 1, 5, 30), '01:30', NEW_YORK)).toBe(Date.UTC(2026, 10, 2, 6, 30));
  });

  it('rejects a bad time or zone', () => {
    expect(invalid(() => nextWallClock(0, '6', IST)).field).toBe('time');
    expect(invalid(() => nextWallClock(0, '06:00', 'Asia/Bombay-ish')).field).toBe('timeZone');
    expect(invalid(() => previousWallClock(Number.POSITIVE_INFINITY, '06:00', IST)).field).toBe('atOrBefore');
  });
});

describe('daily windows', () => {
  const ist = (day: number, hour: number, minute = 0) => Date.UTC(2026, 0, day, hour, minute) - 330 * 60_000;
  const morning: DailyWindow = { start: '06:00', end: '09:00', timeZone: IST };

  it('is start-inclusive and end-exclusive', () => {
    expect(isWithinDailyWindow(ist(5, 6, 0), morning)).toBe(true);
    expect(isWithinDailyWindow(ist(5, 8, 59), morning)).toBe(true);
    expect(isWithinDailyWindow(ist(5, 9, 0), morning)).toBe(false);
    expect(isWithinDailyWindow(ist(5, 5, 59), morning)).toBe(false);
  });

  it('supports windows crossing midnight', () => {
    const night: DailyWindow = { start: '22:00', end: '02:00', timeZone: IST };
    expect(isWithinDailyWindow(ist(5, 23, 0), night)).toBe(true);
    expect(isWithinDailyWindow(ist(6, 1, 59), night)).toBe(true);
    expect(isWithinDailyWindow(ist(6, 2, 0), night)).toBe(false);
    expect(isWithinDailyWindow(ist(5, 21, 59), night)).toBe(false);
  });

  it('applies `days` to the day a midnight-crossing window starts', () => {
    const fridayNight: DailyWindow = { start: '22:00', end: '02:00', timeZone: IST, days: [5] };
    expect(isWithinDailyWindow(ist(9, 23, 0), fridayNight)).toBe(true); // Fri 23:00
    expect(isWithinDailyWindow(ist(10, 1, 0), fridayNight)).toBe(true); // Sat 01:00, Friday's window
    expect(isWithinDailyWindow(ist(10, 23, 0), fridayNight)).toBe(false); // Sat 23:00
    expect(isWithinDailyWindow(ist(9, 1, 0), fridayNight)).toBe(false); // Fri 01:00 belongs to Thursday
    expect(nextWindowStart(ist(10, 3, 0), fridayNight)).toBe(ist(16, 22, 0));
  });

  it('treats start === end as a full day', () => {
    const weekends: DailyWindow = { start: '00:00', end: '00:00', timeZone: IST, days: [0, 6] };
    expect(isWithinDailyWindow(ist(10, 0, 0), weekends)).toBe(true); // Sat
    expect(isWithinDailyWindow(ist(11, 23, 59), weekends)).toBe(true); // Sun
    expect(isWithinDailyWindow(ist(12, 0, 0), weekends)).toBe(false); // Mon
    expect(nextWindowStart(ist(12, 0, 0), weekends)).toBe(ist(17, 0, 0));
  });

  it('nextWindowStart returns `after` inside the window, else the next opening', () => {
    expect(nextWindowStart(ist(5, 7, 0), morning)).toBe(ist(5, 7, 0));
    expect(nextWindowStart(ist(5, 5, 0), morning)).toBe(ist(5, 6, 0));
    expect(nextWindowStart(ist(5, 9, 0), morning)).toBe(ist(6, 6, 0));
    const weekdays: DailyWindow = { ...morning, days: [1, 2, 3, 4, 5] };
    expect(nextWindowStart(ist(10, 7, 0), weekdays)).toBe(ist(12, 6, 0)); // Saturday → Monday
  });

  it('opens New York windows at the right instant across DST', () => {
    const session: DailyWindow = { start: '09:30', end: '16:00', timeZone: NEW_YORK };
    expect(nextWindowStart(Date.UTC(2026, 2, 7, 22, 0), session)).toBe(Date.UTC(2026, 2, 8, 13, 30));
    expect(isWithinDailyWindow(Date.UTC(2026, 2, 9, 13, 30), session)).toBe(true);
    expect(isWithinDailyWindow(Date.UTC(2026, 2, 6, 13, 30), session)).toBe(false); // 08:30 EST
  });

  it('skips a day whose window falls entirely inside a DST gap', () => {
    const gap: DailyWindow = { start: '02:00', end: '02:30', timeZone: NEW_YORK };
    expect(nextWindowStart(Date.UTC(2026, 2, 8, 5, 0), gap)).toBe(Date.UTC(2026, 2, 9, 6, 0));
  });

  it('names the bad field of a window', () => {
    expect(invalid(() => isWithinDailyWindow(0, { ...morning, start: '6am' })).field).toBe('window.start');
    expect(invalid(() => isWithinDailyWindow(0, { ...morning, end: '24:00' })).field).toBe('window.end');
    expect(invalid(() => isWithinDailyWindow(0, { ...morning, timeZone: 'IST' })).field).toBe('window.timeZone');
    expect(invalid(() => nextWindowStart(0, { ...morning, days: [1, 7] })).field).toBe('window.days[1]');
    expect(invalid(() => nextWindowStart(0, { ...morning, days: [] })).field).toBe('window.days');
  });
});

describe('assertTimeZone', () => {
  it('accepts IANA zones', () => {
    expect(() => assertTimeZone(IST)).not.toThrow();
    expect(() => assertTimeZone(NEW_YORK)).not.toThrow();
    expect(() => assertTimeZone('UTC')).not.toThrow();
  });

  it('rejects unknown zones, naming the field and a valid example', () => {
    const error = invalid(() => assertTimeZone('Asia/Mumbai', 'accounts[0].timeZone'));
    expect(error.field).toBe('accounts[0].timeZone');
    expect(error.message).toContain('accounts[0].timeZone');
    expect(error.message).toContain('Asia/Kolkata');
    expect(invalid(() => assertTimeZone('')).field).toBe('timeZone');
    expect(invalid(() => assertTimeZone(undefined as unknown as string)).field).toBe('timeZone');
  });

  it('rejects abbreviations that Intl would quietly accept', () => {
    // ICU maps "EST" to a fixed UTC-5 zone (no DST) and "IST" to Asia/Calcutta.
    expect(invalid(() => assertTimeZone('EST')).message).toContain('region name');
    expect(invalid(() => assertTimeZone('IST')).field).toBe('timeZone');
    expect(() => assertTimeZone('UTC')).not.toThrow();
    expect(() => assertTimeZone('Etc/GMT-5')).not.toThrow();
  });
});

describe('formatInZone', () => {
  it('labels IST and ET with the names traders use', () => {
    expect(formatInZone(Date.UTC(2026, 0, 5, 3, 30), IST)).toBe('Mon 09:00 IST');
    expect(formatInZone(Date.UTC(2026, 10, 27, 18, 0), NEW_YORK)).toBe('Fri 13:00 ET');
    expect(formatInZone(Date.UTC(2026, 6, 3, 13, 30), NEW_YORK)).toBe('Fri 09:30 ET');
  });

  it("falls back to Intl's short zone name", () => {
    expect(formatInZone(Date.UTC(2026, 0, 5, 3, 30), 'UTC')).toBe('Mon 03:30 UTC');
    expect(formatInZone(Date.UTC(2026, 0, 4, 23, 5), 'Asia/Tokyo')).toBe('Mon 08:05 GMT+9');
  });
});
