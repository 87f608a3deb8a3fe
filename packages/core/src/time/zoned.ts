import { InvalidInputError } from '../errors';
import { assertInstant, describe, isValidCivilDate } from './civil';

export const IST = 'Asia/Kolkata';
export const NEW_YORK = 'America/New_York';

/** Wall-clock fields of an instant in one time zone. */
export interface ZonedParts {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday … 6 = Saturday */
  weekday: number;
}

export interface ZonedTimeInput {
  year: number;
  month: number;
  day: number;
  hour?: number;
  minute?: number;
  second?: number;
}

// Building an Intl.DateTimeFormat costs far more than using one, and schedules ask the same few
// zones again and again. Only names Intl accepted are cached, so the map stays small.
const formatters = new Map<string, Intl.DateTimeFormat>();

const ABBREVIATION = /^[A-Z]{2,5}$/;

function formatterFor(timeZone: string, field: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter) return formatter;
  if (typeof timeZone !== 'string' || timeZone.trim() === '') {
    throw badZone(timeZone, field);
  }
  // ICU also accepts abbreviations: "IST" becomes Asia/Calcutta and "EST" a fixed UTC-5 zone with
  // no daylight saving, a silent one-hour error every summer. Insist on region names.
  if (ABBREVIATION.test(timeZone) && timeZone !== 'UTC' && timeZone !== 'GMT') {
    throw badZone(timeZone, field, undefined, ' Abbreviations are ambiguous and ignore daylight saving; use a region name');
  }
  try {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      calendar: 'gregory',
      numberingSystem: 'latn',
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch (error) {
    throw badZone(timeZone, field, error);
  }
  formatters.set(timeZone, formatter);
  return formatter;
}

function badZone(timeZone: unknown, field: string, cause?: unknown, hint = ''): InvalidInputError {
  return new InvalidInputError({
    field,
    cause,
    message: `${field} must be an IANA time zone name such as "Asia/Kolkata" or "America/New_York"; got ${describe(timeZone)}.${hint ? `${hint}.` : ''}`,
  });
}

/** Throws `InvalidInputError` naming `field` when `tz` is not a time zone this runtime knows. */
export function assertTimeZone(tz: string, field: string = 'timeZone'): void {
  formatterFor(tz, field);
}

/** Wall-clock fields of `at` in `timeZone`. Milliseconds are dropped. */
export function zonedParts(at: number, timeZone: string): ZonedParts {
  assertInstant(at, 'at');
  return partsOf(formatterFor(timeZone, 'timeZone'), at);
}

function partsOf(formatter: Intl.DateTimeFormat, at: number): ZonedParts {
  const out = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, weekday: 0 };
  for (const part of formatter.formatToParts(at)) {
    switch (part.type) {
      case 'year':
        out.year = Number(part.value);
        break;
      case 'month':
        out.month = Number(part.value);
        break;
      case 'day':
        out.day = Number(part.value);
        break;
      case 'hour':
        // Some engines still print midnight as "24" even with h23.
        out.hour = Number(part.value) % 24;
        break;
      case 'minute':
        out.minute = Number(part.value);
        break;
      case 'second':
        out.second = Number(part.value);
        break;
    }
  }
  // Weekday from the civil date is exact and saves asking Intl for (and parsing) a name.
  out.weekday = new Date(Date.UTC(out.year, out.month - 1, out.day)).getUTCDay();
  return out;
}

/** Offset of `timeZone` from UTC at `at`, in ms (IST: +5h30m). */
function offsetAt(formatter: Intl.DateTimeFormat, at: number): number {
  const whole = Math.floor(at / 1000) * 1000;
  const p = partsOf(formatter, whole);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - whole;
}

const DAY_MS = 86_400_000;

/**
 * The instant at which the wall clock in `timeZone` shows the given local time.
 * - Ambiguous local times (autumn fall-back) resolve to the earlier instant.
 * - Nonexistent local times (spring-forward gap) resolve to the first instant after the gap, i.e.
 *   the moment of the transition: 02:30 on a New York spring-forward day gives 03:00 EDT.
 */
export function zonedTimeToEpoch(p: ZonedTimeInput, timeZone: string): number {
  const { year, month, day, hour = 0, minute = 0, second = 0 } = p;
  if (!isValidCivilDate(year, month, day)) {
    throw new InvalidInputError({
      field: 'date',
      message: `year/month/day must form a real calendar date (month 1–12, day within the month); got ${year}-${month}-${day}.`,
    });
  }
  checkRange(hour, 23, 'hour');
  checkRange(minute, 59, 'minute');
  checkRange(second, 59, 'second');
  const formatter = formatterFor(timeZone, 'timeZone');

  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  // Offsets a day either side bracket any single transition, and zones never change twice
  // within two days, so the answer uses one of these two offsets.
  const before = offsetAt(formatter, local - DAY_MS);
  const after = offsetAt(formatter, local + DAY_MS);
  const candidates = [local - before, local - after].filter((t) => offsetAt(formatter, t) === local - t);
  if (candidates.length > 0) return Math.min(...candidates);

  // In the gap: the transition lies between the two naive guesses. Find it to the second.
  let lo = Math.min(local - before, local - after);
  let hi = Math.max(local - before, local - after);
  const offsetAfterGap = offsetAt(formatter, hi);
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2000) * 1000;
    if (offsetAt(formatter, mid) === offsetAfterGap) hi = mid;
    else lo = mid;
  }
  return hi;
}

function checkRange(value: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new InvalidInputError({ field, message: `${field} must be a whole number from 0 to ${max}; got ${describe(value)}.` });
  }
}
