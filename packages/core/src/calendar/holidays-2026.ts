import type { Holiday } from './types';

/**
 * NSE trading holidays 2026 (equity and equity-derivative segments), from NSE's 2026 calendar
 * plus its January 2026 circular adding 15 January (Maharashtra municipal elections). BSE
 * publishes the same list. Not modelled: the Diwali Muhurat session on Sunday 8 November 2026,
 * whose times the exchanges announce separately.
 */
export const NSE_2026: readonly Holiday[] = [
  { date: '2026-01-15', name: 'Municipal Corporation Election in Maharashtra' },
  { date: '2026-01-26', name: 'Republic Day' },
  { date: '2026-03-03', name: 'Holi' },
  { date: '2026-03-26', name: 'Shri Ram Navami' },
  { date: '2026-03-31', name: 'Shri Mahavir Jayanti' },
  { date: '2026-04-03', name: 'Good Friday' },
  { date: '2026-04-14', name: 'Dr. Baba Saheb Ambedkar Jayanti' },
  { date: '2026-05-01', name: 'Maharashtra Day' },
  { date: '2026-05-28', name: 'Bakri Id' },
  { date: '2026-06-26', name: 'Muharram' },
  { date: '2026-09-14', name: 'Ganesh Chaturthi' },
  { date: '2026-10-02', name: 'Mahatma Gandhi Jayanti' },
  { date: '2026-10-20', name: 'Dussehra' },
  { date: '2026-11-10', name: 'Diwali Balipratipada' },
  { date: '2026-11-24', name: 'Prakash Gurpurb Sri Guru Nanak Dev' },
  { date: '2026-12-25', name: 'Christmas' },
];

/**
 * MCX 2026, kept simple: NSE's list, each day closed in full. In reality MCX shuts only its
 * morning session on most of these days and still trades the evening session (from 17:00 IST);
 * a single-session calendar cannot express a split day, so those evenings show as HOLIDAY.
 */
export const MCX_2026: readonly Holiday[] = NSE_2026;

/** NYSE 2026 (NYSE Group holiday and early-closings calendar). Nasdaq observes the same days. */
export const NYSE_2026: readonly Holiday[] = [
  { date: '2026-01-01', name: "New Year's Day" },
  { date: '2026-01-19', name: 'Martin Luther King, Jr. Day' },
  { date: '2026-02-16', name: "Washington's Birthday" },
  { date: '2026-04-03', name: 'Good Friday' },
  { date: '2026-05-25', name: 'Memorial Day' },
  { date: '2026-06-19', name: 'Juneteenth National Independence Day' },
  { date: '2026-07-03', name: 'Independence Day (observed)' },
  { date: '2026-09-07', name: 'Labor Day' },
  { date: '2026-11-26', name: 'Thanksgiving Day' },
  { date: '2026-11-27', name: 'Day after Thanksgiving', earlyClose: '13:00' },
  { date: '2026-12-24', name: 'Christmas Eve', earlyClose: '13:00' },
  { date: '2026-12-25', name: 'Christmas Day' },
];
