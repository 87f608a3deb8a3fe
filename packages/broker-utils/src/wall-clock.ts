import { InvalidInputError } from '@tokens/core';

/**
 * India Standard Time helpers for brokers' daily rules ("dies at 06:00 IST", Dhan's
 * `tokenValidity`). IST is UTC+05:30 all year — India has no daylight saving — so plain
 * arithmetic is exact here. For other zones use the zoned-time helpers in `@tokens/core`.
 */
export const IST_TIME_ZONE = 'Asia/Kolkata';
/** +05:30 in milliseconds. */
export const IST_OFFSET_MS = 19_800_000;

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

function assertInstant(at: number, field: string): void {
  if (typeof at !== 'number' || !Number.isFinite(at)) {
    throw new InvalidInputError({ message: `${field} must be a finite epoch-milliseconds number.`, field });
  }
}

function parseHhMm(time: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time);
  if (!m) {
    throw new InvalidInputError({ message: `Wall-clock time must be "HH:mm" (24-hour, e.g. "06:00"); got "${time.slice(0, 20)}".`, field: 'time' });
  }
  return Number(m[1]) * 60 + Number(m[2]);
}

/** Epoch ms of 00:00 IST on the IST calendar day containing `at`. */
export function istStartOfDay(at: number): number {
  assertInstant(at, 'at');
  return Math.floor((at + IST_OFFSET_MS) / DAY_MS) * DAY_MS - IST_OFFSET_MS;
}

/** Epoch ms of 23:59:59.999 IST on the IST calendar day containing `at`. */
export function istEndOfDay(at: number): number {
  return istStartOfDay(at) + DAY_MS - 1;
}

/**
 * The first instant strictly after `after` at which the IST wall clock shows `time` ("HH:mm").
 * `nextIstTime(t, '06:00')` is when FYERS and Kite tokens minted at `t` die; at exactly 06:00
 * IST it returns the next day's 06:00.
 */
export function nextIstTime(after: number, time: string): number {
  assertInstant(after, 'after');
  const minutes = parseHhMm(time);
  let candidate = istStartOfDay(after) + minutes * MINUTE_MS;
  if (candidate <= after) candidate += DAY_MS;
  return candidate;
}

function invalidDate(text: string, expected: string): InvalidInputError {
  return new InvalidInputError({
    message: `Cannot read "${text.slice(0, 40)}" as a date-time: expected ${expected}.`,
    field: 'dateTime',
    code: 'INVALID_DATE_TIME',
  });
}

/** Epoch ms for a calendar date and time in the given UTC offset; validates every field. */
function instantFromParts(
  text: string,
  expected: string,
  p: { year: number; month: number; day: number; hour: number; minute: number; second: number; ms: number },
  offsetMs: number,
): number {
  const utc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second, p.ms);
  const check = new Date(utc);
  if (
    Number.isNaN(utc) ||
    check.getUTCFullYear() !== p.year ||
    check.getUTCMonth() !== p.month - 1 ||
    check.getUTCDate() !== p.day ||
    p.hour > 23 ||
    p.minute > 59 ||
    p.second > 59
  ) {
    throw invalidDate(text, expected);
  }
  return utc - offsetMs;
}

const isoLocal =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Reads an ISO-8601 local date-time as IST, e.g. Dhan's `expiryTime` "2026-11-22T10:00:00.000"
 * or Kite's `login_time` "2026-11-22 10:00:00". A trailing `Z` or `±hh:mm` offset, when present,
 * wins over IST. Returns epoch ms; throws `InvalidInputError` when the text is not such a date.
 */
export function parseIstLocal(text: string): number {
  const expected = '"YYYY-MM-DDTHH:mm[:ss[.fff]]" (IST unless an offset is given)';
  const m = isoLocal.exec(text.trim());
  if (!m) throw invalidDate(text, expected);
  let offsetMs = IST_OFFSET_MS;
  const zone = m[8];
  if (zone !== undefined) {
    if (zone.toUpperCase() === 'Z') {
      offsetMs = 0;
    } else {
      const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
      if (!z || Number(z[2]) > 23 || Number(z[3]) > 59) throw invalidDate(text, expected);
      offsetMs = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3])) * MINUTE_MS;
    }
  }
  return instantFromParts(
    text,
    expected,
    {
      year: Number(m[1]),
      month: Number(m[2]),
      day: Number(m[3]),
      hour: Number(m[4]),
      minute: Number(m[5]),
      second: Number(m[6] ?? 0),
      ms: Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3)),
    },
    offsetMs,
  );
}

/** Reads Dhan's profile `tokenValidity` ("22/11/2026 10:00", day first, IST) as epoch ms. Seconds are accepted too. */
export function parseIstDdMmYyyyHhMm(text: string): number {
  const expected = '"DD/MM/YYYY HH:mm" in IST';
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (!m) throw invalidDate(text, expected);
  return instantFromParts(
    text,
    expected,
    {
      year: Number(m[3]),
      month: Number(m[2]),
      day: Number(m[1]),
      hour: Number(m[4]),
      minute: Number(m[5]),
      second: Number(m[6] ?? 0),
      ms: 0,
    },
    IST_OFFSET_MS,
  );
}

/** "2026-11-22 06:00 IST" — for messages and alerts. */
export function formatIst(at: number): string {
  assertInstant(at, 'at');
  const iso = new Date(at + IST_OFFSET_MS).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} IST`;
}
