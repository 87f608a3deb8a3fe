import { InvalidInputError } from '../errors';
import { describe } from './civil';

export interface TimeOfDay {
  hour: number;
  minute: number;
}

const HH_MM = /^(\d{1,2}):(\d{2})$/;

/** Parses a 24-hour `HH:mm` time of day: "06:00" and "9:15" pass; "25:00", "6" and "ab" throw. */
export function parseHHmm(value: string, field: string = 'time'): TimeOfDay {
  const match = typeof value === 'string' ? HH_MM.exec(value.trim()) : null;
  const hour = match ? Number(match[1]) : NaN;
  const minute = match ? Number(match[2]) : NaN;
  if (!match || hour > 23 || minute > 59) {
    throw new InvalidInputError({
      field,
      message: `${field} must be a 24-hour time "HH:mm" between 00:00 and 23:59, e.g. "06:00" or "09:15"; got ${describe(value)}.`,
    });
  }
  return { hour, minute };
}

/** Minutes since local midnight; windows and sessions compare on this. */
export function minutesOfDay(t: TimeOfDay): number {
  return t.hour * 60 + t.minute;
}
