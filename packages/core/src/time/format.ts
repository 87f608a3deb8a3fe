import { assertInstant, pad2 } from './civil';
import { IST, NEW_YORK, zonedParts } from './zoned';

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

// Traders say "IST" and "ET"; Intl's en-US names would be "GMT+5:30" and "EST"/"EDT".
const FRIENDLY_NAMES: Record<string, string> = {
  [IST]: 'IST',
  'Asia/Calcutta': 'IST',
  [NEW_YORK]: 'ET',
  'US/Eastern': 'ET',
};

const nameFormatters = new Map<string, Intl.DateTimeFormat>();

function zoneLabel(at: number, timeZone: string): string {
  const friendly = FRIENDLY_NAMES[timeZone];
  if (friendly) return friendly;
  let formatter = nameFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'short' });
    nameFormatters.set(timeZone, formatter);
  }
  return formatter.formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? timeZone;
}

/** Short label for humans (alerts, dashboard): "Mon 09:00 IST", "Fri 16:00 ET", "Sat 02:30 UTC". */
export function formatInZone(at: number, timeZone: string): string {
  assertInstant(at, 'at');
  const p = zonedParts(at, timeZone); // validates the zone before the name formatter is built
  return `${WEEKDAYS[p.weekday]} ${pad2(p.hour)}:${pad2(p.minute)} ${zoneLabel(at, timeZone)}`;
}
