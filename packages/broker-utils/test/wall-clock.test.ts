import { InvalidInputError } from '@tokens/core';
import { describe, expect, it } from 'vitest';
import {
  formatIst,
  istEndOfDay,
  istStartOfDay,
  nextIstTime,
  parseIstDdMmYyyyHhMm,
  parseIstLocal,
} from '../src';

// Independent reference: Date.parse of an explicit +05:30 offset.
const ist = (local: string) => Date.parse(`${local}+05:30`);

describe('nextIstTime', () => {
  it('from 05:59 IST → 06:00 the same day', () => {
    expect(nextIstTime(ist('2026-11-22T05:59:00'), '06:00')).toBe(ist('2026-11-22T06:00:00'));
  });
  it('at exactly 06:00 IST → 06:00 the next day', () => {
    expect(nextIstTime(ist('2026-11-22T06:00:00'), '06:00')).toBe(ist('2026-11-23T06:00:00'));
  });
  it('from 23:00 IST → 06:00 the next day', () => {
    expect(nextIstTime(ist('2026-11-22T23:00:00'), '06:00')).toBe(ist('2026-11-23T06:00:00'));
  });
  it('across a UTC date boundary and a month/year end', () => {
    // 02:00 IST on 1 Jan is still 31 Dec in UTC.
    expect(nextIstTime(ist('2027-01-01T02:00:00'), '06:00')).toBe(ist('2027-01-01T06:00:00'));
    expect(nextIstTime(ist('2026-12-31T20:00:00'), '08:45')).toBe(ist('2027-01-01T08:45:00'));
    expect(nextIstTime(ist('2026-11-22T10:00:00'), '00:00')).toBe(ist('2026-11-23T00:00:00'));
  });
  it('rejects a bad time', () => {
    expect(() => nextIstTime(0, '6:00')).toThrow(InvalidInputError);
    expect(() => nextIstTime(0, '24:00')).toThrow(/HH:mm/);
    expect(() => nextIstTime(Number.NaN, '06:00')).toThrow(/finite/);
  });
});

describe('istStartOfDay / istEndOfDay', () => {
  it('use the IST calendar day', () => {
    expect(istEndOfDay(ist('2026-11-22T00:00:00'))).toBe(ist('2026-11-22T23:59:59.999'));
    expect(istEndOfDay(ist('2026-11-22T23:59:59.999'))).toBe(ist('2026-11-22T23:59:59.999'));
    expect(istEndOfDay(ist('2026-11-23T00:00:00'))).toBe(ist('2026-11-23T23:59:59.999'));
    // 20:00 UTC on the 22nd is 01:30 IST on the 23rd.
    expect(istStartOfDay(Date.UTC(2026, 10, 22, 20, 0))).toBe(ist('2026-11-23T00:00:00'));
  });
});

describe('parseIstLocal', () => {
  it('reads ISO without an offset as IST', () => {
    expect(parseIstLocal('2026-11-22T10:00:00')).toBe(ist('2026-11-22T10:00:00'));
    expect(parseIstLocal('2026-01-01T00:00:00.000')).toBe(ist('2026-01-01T00:00:00.000'));
    expect(parseIstLocal('2026-11-22 10:00:00')).toBe(ist('2026-11-22T10:00:00'));
    expect(parseIstLocal('2026-11-22T10:00')).toBe(ist('2026-11-22T10:00:00'));
    expect(parseIstLocal('2024-12-05 09:37:52.0')).toBe(ist('2024-12-05T09:37:52.000'));
    expect(parseIstLocal('2026-11-22T10:00:00.123456')).toBe(ist('2026-11-22T10:00:00.123'));
  });
  it('honours a trailing Z or offset', () => {
    expect(parseIstLocal('2026-11-22T10:00:00Z')).toBe(Date.UTC(2026, 10, 22, 10, 0));
    expect(parseIstLocal('2026-11-22T10:00:00+00:00')).toBe(Date.UTC(2026, 10, 22, 10, 0));
    expect(parseIstLocal('2026-11-22T10:00:00-0500')).toBe(Date.UTC(2026, 10, 22, 15, 0));
    expect(parseIstLocal('2026-11-22T10:00:00+05:30')).toBe(ist('2026-11-22T10:00:00'));
  });
  it.each(['', '22/11/2026 10:00', '2026-02-30T10:00:00', '2026-11-22T24:00:00', '2026-13-01T00:00:00', '2026-11-22T10:60'])(
    'rejects %j',
    (text) => expect(() => parseIstLocal(text)).toThrow(InvalidInputError),
  );
});

describe('parseIstDdMmYyyyHhMm (Dhan tokenValidity)', () => {
  it('reads day-first IST', () => {
    expect(parseIstDdMmYyyyHhMm('22/11/2026 10:00')).toBe(ist('2026-11-22T10:00:00'));
    expect(parseIstDdMmYyyyHhMm('30/03/2025 15:37')).toBe(ist('2025-03-30T15:37:00'));
    expect(parseIstDdMmYyyyHhMm('01/01/2027 00:00:30')).toBe(ist('2027-01-01T00:00:30'));
  });
  it.each(['2026-11-22 10:00', '31/02/2026 10:00', '22/11/2026', '22/11/2026 25:00'])('rejects %j', (text) =>
    expect(() => parseIstDdMmYyyyHhMm(text)).toThrow(/DD\/MM\/YYYY HH:mm/),
  );
});

describe('formatIst', () => {
  it('formats in IST', () => {
    expect(formatIst(ist('2026-11-23T06:00:00'))).toBe('2026-11-23 06:00 IST');
  });
});
