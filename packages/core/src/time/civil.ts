import { InvalidInputError } from '../errors';

/**
 * A calendar date with no time zone. Date arithmetic runs on UTC `Date`s because a civil date has
 * no DST: adding a day is always adding a day.
 */
export interface CivilDate {
  year: number;
  month: number;
  day: number;
}

const DAY_MS = 86_400_000;

export function addDays(date: CivilDate, days: number): CivilDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day) + days * DAY_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOf(date: CivilDate): number {
  return new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
}

export function isValidCivilDate(year: number, month: number, day: number): boolean {
  if (!Number.isInteger(year) || !Number.isInteger(month) || !Number.isInteger(day)) return false;
  if (month < 1 || month > 12 || day < 1) return false;
  // Day 0 of the next month is the last day of this one.
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** `YYYY-MM-DD`, the key holiday data is stored under. */
export function formatCivilDate(date: CivilDate): string {
  return `${String(date.year).padStart(4, '0')}-${pad2(date.month)}-${pad2(date.day)}`;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses `YYYY-MM-DD`, rejecting impossible dates such as `2026-02-30`. */
export function parseCivilDate(value: unknown, field: string): CivilDate {
  const match = typeof value === 'string' ? ISO_DATE.exec(value) : null;
  const [year, month, day] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [NaN, NaN, NaN];
  if (!match || !isValidCivilDate(year, month, day)) {
    throw new InvalidInputError({
      field,
      message: `${field} must be a real calendar date written "YYYY-MM-DD", e.g. "2026-01-26"; got ${describe(value)}.`,
    });
  }
  return { year, month, day };
}

export function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Short, safe rendering of a bad value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return `a value of type ${Array.isArray(value) ? 'array' : typeof value}`;
}

/** Every function takes the instant as a parameter; reject NaN and strings early. */
export function assertInstant(at: unknown, field: string): asserts at is number {
  if (typeof at !== 'number' || !Number.isFinite(at)) {
    throw new InvalidInputError({
      field,
      message: `${field} must be an instant in epoch milliseconds (a finite number, e.g. Date.UTC(2026, 0, 5)); got ${describe(at)}.`,
    });
  }
}
