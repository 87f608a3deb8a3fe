import type { Holiday } from './types';

// NSE, BSE and MCX publish the next year's list in December; 2027 is not built in for them yet.

/** NYSE 2027 (NYSE Group holiday and early-closings calendar). Nasdaq observes the same days. */
export const NYSE_2027: readonly Holiday[] = [
  { date: '2027-01-01', name: "New Year's Day" },
  { date: '2027-01-18', name: 'Martin Luther King, Jr. Day' },
  { date: '2027-02-15', name: "Washington's Birthday" },
  { date: '2027-03-26', name: 'Good Friday' },
  { date: '2027-05-31', name: 'Memorial Day' },
  { date: '2027-06-18', name: 'Juneteenth National Independence Day (observed)' },
  { date: '2027-07-05', name: 'Independence Day (observed)' },
  { date: '2027-09-06', name: 'Labor Day' },
  { date: '2027-11-25', name: 'Thanksgiving Day' },
  { date: '2027-11-26', name: 'Day after Thanksgiving', earlyClose: '13:00' },
  { date: '2027-12-24', name: 'Christmas Day (observed)' },
];
