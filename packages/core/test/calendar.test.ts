import { describe, expect, it } from 'vitest';
import {
  BUILT_IN_HOLIDAYS,
  createMarketCalendar,
  EXCHANGES,
  marketStatus,
  type Exchange,
  type Holiday,
  type MarketCalendarOptions,
} from '../src/calendar';
import { InvalidInputError } from '../src/errors';

function invalid(fn: () => unknown): InvalidInputError {
  try {
    fn();
  } catch (error) {
    expect(InvalidInputError.isInstance(error)).toBe(true);
    return error as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError, nothing was thrown');
}

/** Instant at which IST shows the given local time (IST is UTC+5:30 all year). */
const ist = (month: number, day: number, hour: number, minute = 0, year = 2026) =>
  Date.UTC(year, month - 1, day, hour, minute) - 330 * 60_000;

const cal = createMarketCalendar();

describe('NSE', () => {
  it('is PRE_OPEN at 09:05 IST', () => {
    expect(cal.marketStatus('NSE', ist(1, 5, 9, 5))).toEqual({
      exchange: 'NSE',
      state: 'PRE_OPEN',
      session: 'pre-open',
      timeZone: 'Asia/Kolkata',
      nextOpen: Date.UTC(2026, 0, 5, 3, 45),
      nextClose: Date.UTC(2026, 0, 5, 10, 0),
    });
  });

  it('is OPEN from 09:15 (inclusive) to 15:30 (exclusive)', () => {
    const at10 = cal.marketStatus('NSE', ist(1, 5, 10, 0));
    expect([at10.state, at10.session]).toEqual(['OPEN', 'regular']);
    expect(at10.nextClose).toBe(Date.UTC(2026, 0, 5, 10, 0));
    expect(at10.nextOpen).toBe(Date.UTC(2026, 0, 6, 3, 45));
    expect(cal.marketStatus('NSE', ist(1, 5, 9, 15)).state).toBe('OPEN');
    expect(cal.marketStatus('NSE', ist(1, 5, 15, 29)).state).toBe('OPEN');
    expect(cal.marketStatus('NSE', ist(1, 5, 15, 30)).state).toBe('CLOSED');
    expect(cal.marketStatus('NSE', ist(1, 5, 8, 59)).state).toBe('CLOSED');
  });

  it('is CLOSED at 16:00 IST with the next open tomorrow', () => {
    const s = cal.marketStatus('NSE', ist(1, 5, 16, 0));
    expect([s.state, s.session]).toEqual(['CLOSED', 'closed']);
    expect(s.nextOpen).toBe(Date.UTC(2026, 0, 6, 3, 45));
    expect(s.nextClose).toBe(Date.UTC(2026, 0, 6, 10, 0));
    expect(s.holiday).toBeUndefined();
  });

  it('is WEEKEND on Saturday with the next open Monday 09:15 IST', () => {
    const s = cal.marketStatus('NSE', ist(1, 10, 12, 0));
    expect([s.state, s.session]).toEqual(['WEEKEND', 'closed']);
    expect(s.nextOpen).toBe(Date.UTC(2026, 0, 12, 3, 45));
  });

  it('is HOLIDAY on Republic Day 2026 with the name and the next open on Jan 27', () => {
    const s = cal.marketStatus('NSE', ist(1, 26, 10, 0));
    expect(s.state).toBe('HOLIDAY');
    expect(s.holiday).toEqual({ date: '2026-01-26', name: 'Republic Day' });
    expect(s.nextOpen).toBe(Date.UTC(2026, 0, 27, 3, 45));
    expect(s.nextClose).toBe(Date.UTC(2026, 0, 27, 10, 0));
  });

  it('uses the exchange-local day: 01:30 IST on Jan 26 is the holiday even though UTC says Jan 25', () => {
    expect(cal.isTradingDay('NSE', Date.UTC(2026, 0, 25, 20, 0))).toBe(false);
    expect(cal.marketStatus('NSE', Date.UTC(2026, 0, 25, 20, 0)).state).toBe('HOLIDAY');
    expect(cal.isTradingDay('NSE', ist(1, 27, 1, 0))).toBe(true);
  });

  it('skips a weekend and a Monday holiday from Friday evening', () => {
    // Fri Jan 23 after the close → Sat, Sun, Mon Jan 26 (Republic Day) → Tue Jan 27.
    expect(cal.nextOpen('NSE', ist(1, 23, 16, 0))).toBe(Date.UTC(2026, 0, 27, 3, 45));
    // Thu Apr 2 after the close → Fri Apr 3 (Good Friday), weekend → Mon Apr 6.
    expect(cal.nextOpen('NSE', ist(4, 2, 16, 0))).toBe(ist(4, 6, 9, 15));
    expect(cal.nextClose('NSE', ist(4, 2, 16, 0))).toBe(ist(4, 6, 15, 30));
  });

  it('knows the 2026 election holiday added by circular in January', () => {
    expect(cal.marketStatus('NSE', ist(1, 15, 10, 0)).holiday?.name).toBe('Municipal Corporation Election in Maharashtra');
  });

  it('nextOpen is strictly after: at 09:15 exactly it is the next day', () => {
    expect(cal.nextOpen('NSE', ist(1, 5, 9, 15))).toBe(ist(1, 6, 9, 15));
    expect(cal.nextOpen('NSE', ist(1, 5, 9, 15) - 1)).toBe(ist(1, 5, 9, 15));
  });
});

describe('BSE and MCX', () => {
  it('BSE shares the NSE sessions and holidays', () => {
    expect(cal.holidays('BSE', 2026)).toEqual(cal.holidays('NSE', 2026));
    expect(cal.marketStatus('BSE', ist(1, 26, 10, 0)).state).toBe('HOLIDAY');
    expect(cal.marketStatus('BSE', ist(1, 5, 9, 5)).state).toBe('PRE_OPEN');
  });

  it('MCX trades 09:00–23:30 IST with no pre-open', () => {
    expect(cal.marketStatus('MCX', ist(1, 5, 8, 59)).state).toBe('CLOSED');
    expect(cal.marketStatus('MCX', ist(1, 5, 9, 0)).state).toBe('OPEN');
    expect(cal.marketStatus('MCX', ist(1, 5, 23, 29)).state).toBe('OPEN');
    const late = cal.marketStatus('MCX', ist(1, 5, 23, 30));
    expect([late.state, late.session]).toEqual(['CLOSED', 'closed']);
    expect(cal.nextClose('MCX', ist(1, 5, 10, 0))).toBe(Date.UTC(2026, 0, 5, 18, 0));
    expect(cal.marketStatus('MCX', ist(1, 26, 20, 0)).state).toBe('HOLIDAY');
  });
});

describe('NYSE / NASDAQ', () => {
  it('reports pre-market 04:00–09:30 ET as PRE_OPEN', () => {
    const s = cal.marketStatus('NYSE', Date.UTC(2026, 0, 5, 10, 0)); // 05:00 EST
    expect([s.state, s.session]).toEqual(['PRE_OPEN', 'pre-market']);
    expect(s.nextOpen).toBe(Date.UTC(2026, 0, 5, 14, 30));
    expect(s.nextClose).toBe(Date.UTC(2026, 0, 5, 21, 0));
    expect(cal.marketStatus('NYSE', Date.UTC(2026, 0, 5, 8, 59)).session).toBe('closed'); // 03:59 EST
  });

  it('reports 16:00–20:00 ET as CLOSED after-hours', () => {
    const s = cal.marketStatus('NASDAQ', Date.UTC(2026, 0, 5, 22, 0)); // 17:00 EST
    expect([s.state, s.session]).toEqual(['CLOSED', 'after-hours']);
    expect(s.nextOpen).toBe(Date.UTC(2026, 0, 6, 14, 30));
    const late = cal.marketStatus('NASDAQ', Date.UTC(2026, 0, 6, 1, 0)); // 20:00 EST
    expect([late.state, late.session]).toEqual(['CLOSED', 'closed']);
  });

  it('opens at 13:30Z in summer and 14:30Z in winter (DST)', () => {
    expect(cal.marketStatus('NYSE', Date.UTC(2026, 2, 9, 13, 30)).state).toBe('OPEN'); // Mon 09:30 EDT
    expect(cal.marketStatus('NYSE', Date.UTC(2026, 2, 6, 13, 30)).state).toBe('PRE_OPEN'); // Fri 08:30 EST
    expect(cal.nextOpen('NYSE', Date.UTC(2026, 2, 6, 22, 0))).toBe(Date.UTC(2026, 2, 9, 13, 30));
    expect(cal.nextOpen('NYSE', Date.UTC(2026, 9, 30, 21, 0))).toBe(Date.UTC(2026, 10, 2, 14, 30));
  });

  it('closes early at 13:00 ET on 2026-11-27', () => {
    const open = cal.marketStatus('NYSE', Date.UTC(2026, 10, 27, 15, 0)); // 10:00 EST
    expect(open.state).toBe('OPEN');
    expect(open.nextClose).toBe(Date.UTC(2026, 10, 27, 18, 0));
    expect(open.holiday).toBeUndefined();
    const after = cal.marketStatus('NYSE', Date.UTC(2026, 10, 27, 18, 30)); // 13:30 EST
    expect([after.state, after.session]).toEqual(['CLOSED', 'after-hours']);
    expect(after.nextOpen).toBe(Date.UTC(2026, 10, 30, 14, 30));
    // Late trading also ends early (17:00 ET) on early-close days.
    expect(cal.marketStatus('NYSE', Date.UTC(2026, 10, 27, 22, 30)).session).toBe('closed');
    expect(cal.isTradingDay('NYSE', Date.UTC(2026, 10, 27, 15, 0))).toBe(true);
  });

  it('is HOLIDAY on Thanksgiving, with the next close the early one', () => {
    const s = cal.marketStatus('NYSE', Date.UTC(2026, 10, 26, 15, 0));
    expect(s.state).toBe('HOLIDAY');
    expect(s.holiday?.name).toBe('Thanksgiving Day');
    expect(s.nextOpen).toBe(Date.UTC(2026, 10, 27, 14, 30));
    expect(s.nextClose).toBe(Date.UTC(2026, 10, 27, 18, 0));
    expect(cal.nextClose('NYSE', Date.UTC(2026, 11, 24, 15, 0))).toBe(Date.UTC(2026, 11, 24, 18, 0));
  });

  it('skips a weekend and a Monday holiday (MLK Day 2026) from Friday evening', () => {
    expect(cal.nextOpen('NYSE', Date.UTC(2026, 0, 16, 21, 30))).toBe(Date.UTC(2026, 0, 20, 14, 30));
  });

  it('has the 2027 calendar, shared by NASDAQ', () => {
    expect(cal.marketStatus('NASDAQ', Date.UTC(2027, 11, 24, 15, 0)).holiday?.name).toBe('Christmas Day (observed)');
    expect(cal.nextClose('NYSE', Date.UTC(2027, 10, 26, 15, 0))).toBe(Date.UTC(2027, 10, 26, 18, 0));
    expect(cal.nextOpen('NYSE', Date.UTC(2027, 5, 17, 21, 0))).toBe(Date.UTC(2027, 5, 21, 13, 30)); // Juneteenth observed Fri
    expect(cal.holidays('NASDAQ', 2027)).toEqual(cal.holidays('NYSE', 2027));
  });
});

describe('holiday data', () => {
  it('built-in entries are real, sorted weekdays inside the year they are filed under', () => {
    for (const exchange of EXCHANGES) {
      for (const [year, list] of Object.entries(BUILT_IN_HOLIDAYS[exchange])) {
        const dates = list.map((h) => h.date);
        expect([...dates].sort()).toEqual(dates);
        expect(new Set(dates).size).toBe(dates.length);
        for (const h of list) {
          const d = new Date(`${h.date}T12:00:00Z`);
          expect(h.date.startsWith(`${year}-`)).toBe(true);
          expect(d.toISOString().slice(0, 10)).toBe(h.date);
          expect([1, 2, 3, 4, 5]).toContain(d.getUTCDay());
          expect(h.name.length).toBeGreaterThan(0);
        }
      }
    }
    expect(BUILT_IN_HOLIDAYS.NSE[2026]).toHaveLength(16);
    expect(BUILT_IN_HOLIDAYS.NYSE[2026]?.filter((h) => !h.earlyClose)).toHaveLength(10);
    expect(BUILT_IN_HOLIDAYS.NYSE[2026]?.filter((h) => h.earlyClose === '13:00').map((h) => h.date)).toEqual(['2026-11-27', '2026-12-24']);
    expect(BUILT_IN_HOLIDAYS.NYSE[2027]).toHaveLength(11);
  });

  it('built-in data is frozen, and holidays() returns copies', () => {
    expect(Object.isFrozen(BUILT_IN_HOLIDAYS.NSE[2026])).toBe(true);
    expect(Object.isFrozen(BUILT_IN_HOLIDAYS.NSE[2026]?.[0])).toBe(true);
    const list = cal.holidays('NSE', 2026);
    list[0]!.name = 'changed';
    expect(cal.holidays('NSE', 2026)[0]?.name).toBe('Municipal Corporation Election in Maharashtra');
  });

  it('returns an empty list for a year with no data', () => {
    expect(cal.holidays('NSE', 2030)).toEqual([]);
  });
});

describe('user holidays', () => {
  it('adds closures and early closes to the named exchange only', () => {
    const custom = createMarketCalendar({
      holidays: {
        NSE: [
          { date: '2026-01-07', name: 'Short day', earlyClose: '13:00' },
          { date: '2026-01-06', name: 'Exchange outage' },
        ],
      },
    });
    const s = custom.marketStatus('NSE', ist(1, 6, 10, 0));
    expect(s.state).toBe('HOLIDAY');
    expect(s.holiday).toEqual({ date: '2026-01-06', name: 'Exchange outage' });
    expect(s.nextOpen).toBe(ist(1, 7, 9, 15));
    expect(s.nextClose).toBe(ist(1, 7, 13, 0));
    expect(custom.marketStatus('BSE', ist(1, 6, 10, 0)).state).toBe('OPEN');
    expect(custom.marketStatus('NSE', ist(1, 26, 10, 0)).state).toBe('HOLIDAY'); // built-ins kept
    expect(custom.holidays('NSE', 2026).slice(0, 3).map((h) => h.date)).toEqual(['2026-01-06', '2026-01-07', '2026-01-15']);
    // The default calendar is untouched.
    expect(cal.marketStatus('NSE', ist(1, 6, 10, 0)).state).toBe('OPEN');
  });

  it('lets a user entry replace a built-in one on the same date', () => {
    const custom = createMarketCalendar({ holidays: { NYSE: [{ date: '2026-12-24', name: 'Christmas Eve', earlyClose: '12:00' }] } });
    expect(custom.nextClose('NYSE', Date.UTC(2026, 11, 24, 15, 0))).toBe(Date.UTC(2026, 11, 24, 17, 0));
  });

  it('replaceBuiltInHolidays drops the shipped data', () => {
    const bare = createMarketCalendar({ replaceBuiltInHolidays: true, holidays: { NYSE: [{ date: '2026-01-05', name: 'Test' }] } });
    expect(bare.marketStatus('NSE', ist(1, 26, 10, 0)).state).toBe('OPEN');
    expect(bare.holidays('NYSE', 2026)).toEqual([{ date: '2026-01-05', name: 'Test' }]);
  });
});

describe('validation', () => {
  const withNse = (list: unknown[]): MarketCalendarOptions => ({ holidays: { NSE: list as Holiday[] } });
  const ok = { date: '2026-01-06', name: 'ok' };

  it('names the entry with a bad date', () => {
    const error = invalid(() => createMarketCalendar(withNse([ok, { ...ok, date: '2026-01-07' }, { ...ok, date: '2026-01-08' }, { date: '2026-02-30', name: 'x' }])));
    expect(error.field).toBe('holidays.NSE[3].date');
    expect(error.message).toContain('holidays.NSE[3].date');
    expect(error.message).toContain('YYYY-MM-DD');
    expect(invalid(() => createMarketCalendar(withNse([{ date: '26/01/2026', name: 'x' }]))).field).toBe('holidays.NSE[0].date');
    expect(invalid(() => createMarketCalendar(withNse([{ date: 20260126, name: 'x' }]))).field).toBe('holidays.NSE[0].date');
  });

  it('names a missing name, a bad early close and a duplicate date', () => {
    expect(invalid(() => createMarketCalendar(withNse([{ date: '2026-01-06', name: ' ' }]))).field).toBe('holidays.NSE[0].name');
    expect(invalid(() => createMarketCalendar(withNse([{ ...ok, earlyClose: '1pm' }]))).field).toBe('holidays.NSE[0].earlyClose');
    const late = invalid(() => createMarketCalendar(withNse([{ ...ok, earlyClose: '16:00' }])));
    expect(late.field).toBe('holidays.NSE[0].earlyClose');
    expect(late.message).toContain('15:30');
    expect(invalid(() => createMarketCalendar(withNse([ok, ok]))).field).toBe('holidays.NSE[1].date');
    expect(invalid(() => createMarketCalendar(withNse(['2026-01-06']))).field).toBe('holidays.NSE[0]');
  });

  it('rejects unknown exchanges', () => {
    const options = { holidays: { LSE: [ok] } } as unknown as MarketCalendarOptions;
    expect(invalid(() => createMarketCalendar(options)).field).toBe('holidays.LSE');
    const error = invalid(() => cal.marketStatus('LSE' as Exchange, 0));
    expect(error.field).toBe('exchange');
    expect(error.message).toContain('NSE, BSE, MCX, NYSE, NASDAQ');
  });

  it('rejects a non-numeric instant', () => {
    expect(invalid(() => cal.nextOpen('NSE', Number.NaN)).field).toBe('after');
    expect(invalid(() => cal.marketStatus('NSE', '2026-01-05' as unknown as number)).field).toBe('at');
  });
});

describe('defaults', () => {
  it('marketStatus() uses the built-in calendar', () => {
    expect(marketStatus('NSE', ist(1, 26, 10, 0)).holiday?.name).toBe('Republic Day');
  });

  it('exchangeTimeZone', () => {
    expect(cal.exchangeTimeZone('MCX')).toBe('Asia/Kolkata');
    expect(cal.exchangeTimeZone('NASDAQ')).toBe('America/New_York');
  });
});
