export { createKite, type KiteAdapter, type KiteLogin } from './kite-adapter';
export { DEFAULT_VALIDATE_EVERY_MS, KITE_API_URL, KITE_LOGIN_URL, type KiteSettings } from './kite-settings';
export { kiteLogout, type KiteRevokeInput, type KiteRevokeOutcome, type KiteRevokeResult } from './kite-logout';
export { kiteReminders, type KiteRemindersOptions } from './kite-reminders';
export { parseKitePasted } from './kite-login';
export { KITE_DAILY_EXPIRY } from './kite-session';
