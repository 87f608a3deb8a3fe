import { InvalidInputError } from '../errors';
import { describe, formatCivilDate, parseCivilDate } from '../time/civil';
import { minutesOfDay, parseHHmm } from '../time/hhmm';
import { assertExchange, EXCHANGE_SPECS } from './exchanges';
import type { Exchange, Holiday, MarketCalendarOptions } from './types';

function fmt(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** Checks one user-supplied entry and returns a normalised, frozen copy. */
export function validateHoliday(exchange: Exchange, value: unknown, path: string): Holiday {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidInputError({
      field: path,
      message: `${path} must be an object { date: "YYYY-MM-DD", name, earlyClose?: "HH:mm" }; got ${describe(value)}.`,
    });
  }
  const h = value as Record<string, unknown>;
  const date = formatCivilDate(parseCivilDate(h.date, `${path}.date`));
  if (typeof h.name !== 'string' || h.name.trim() === '') {
    throw new InvalidInputError({
      field: `${path}.name`,
      message: `${path}.name must be a non-empty string such as "Republic Day"; got ${describe(h.name)}.`,
    });
  }
  const out: Holiday = { date, name: h.name.trim() };
  if (h.earlyClose !== undefined) {
    const field = `${path}.earlyClose`;
    const close = minutesOfDay(parseHHmm(h.earlyClose as string, field));
    const spec = EXCHANGE_SPECS[exchange];
    if (close <= spec.open || close >= spec.close) {
      throw new InvalidInputError({
        field,
        message: `${field} must fall inside ${exchange}'s regular session, after the ${fmt(spec.open)} open and before the ${fmt(spec.close)} close; got "${h.earlyClose as string}". Leave it out for a full-day closure.`,
      });
    }
    out.earlyClose = fmt(close);
  }
  return Object.freeze(out);
}

/** Validates `options.holidays`, naming the exact entry at fault (`holidays.NSE[3].date`). */
export function validateUserHolidays(options: MarketCalendarOptions | undefined): Map<Exchange, Holiday[]> {
  const result = new Map<Exchange, Holiday[]>();
  if (options === undefined) return result;
  if (options === null || typeof options !== 'object') {
    throw new InvalidInputError({ field: 'options', message: `Market calendar options must be an object; got ${describe(options)}.` });
  }
  if (options.replaceBuiltInHolidays !== undefined && typeof options.replaceBuiltInHolidays !== 'boolean') {
    throw new InvalidInputError({
      field: 'replaceBuiltInHolidays',
      message: `replaceBuiltInHolidays must be true or false; got ${describe(options.replaceBuiltInHolidays)}.`,
    });
  }
  const holidays = options.holidays;
  if (holidays === undefined) return result;
  if (holidays === null || typeof holidays !== 'object' || Array.isArray(holidays)) {
    throw new InvalidInputError({
      field: 'holidays',
      message: `holidays must be an object keyed by exchange, e.g. { NSE: [{ date: "2026-01-15", name: "Election" }] }; got ${describe(holidays)}.`,
    });
  }
  for (const [exchange, list] of Object.entries(holidays)) {
    assertExchange(exchange, `holidays.${exchange}`);
    const path = `holidays.${exchange}`;
    if (!Array.isArray(list)) {
      throw new InvalidInputError({ field: path, message: `${path} must be a list of holidays; got ${describe(list)}.` });
    }
    const seen = new Map<string, number>();
    const entries = list.map((item, i) => {
      const holiday = validateHoliday(exchange, item, `${path}[${i}]`);
      const first = seen.get(holiday.date);
      if (first !== undefined) {
        throw new InvalidInputError({
          field: `${path}[${i}].date`,
          message: `${path}[${i}].date ${holiday.date} repeats ${path}[${first}]; list each date once.`,
        });
      }
      seen.set(holiday.date, i);
      return holiday;
    });
    result.set(exchange, entries);
  }
  return result;
}
