import type { FakeDhanClient, FakeTokenRecord } from './fake-state';

// Dhan's wire shapes (research §3). Bodies marked [INF] are our best guess where Dhan documents none.

const IST_OFFSET_MS = 19_800_000;

/** HTTP 401 DH-901, exactly as Dhan sends it for a bad or expired token. */
export const DH_901 = {
  errorType: 'Invalid_Authentication',
  errorCode: 'DH-901',
  errorMessage: 'Client ID or user generated access token is invalid or expired.',
} as const;

/** HTTP 400 DH-905, exactly as Dhan answered a POST to RenewToken (DhanHQ-py #108). */
export const DH_905 = {
  errorType: 'Input_Exception',
  errorCode: 'DH-905',
  errorMessage: 'Missing required fields, bad values for parameters etc.',
} as const;

/** HTTP 429 DH-904 [INF: the errorType spelling]. */
export const DH_904 = {
  errorType: 'Rate_Limit',
  errorCode: 'DH-904',
  errorMessage: 'Too many requests on server from single user breaching rate limits. Try throttling API calls.',
} as const;

/** HTTP 500 DH-908 [INF: the errorType spelling and message]. */
export const DH_908 = {
  errorType: 'Internal_Server_Error',
  errorCode: 'DH-908',
  errorMessage: 'Internal server error.',
} as const;

/** A wrong PIN or TOTP on generateAccessToken [INF: Dhan documents no body for it]. */
export const WRONG_PIN_OR_TOTP = { ...DH_901, errorMessage: 'Invalid PIN or TOTP.' } as const;

/** "2026-01-01T00:00:00.000": IST wall clock, no offset (the `expiryTime` format). */
export function istIsoLocal(at: number): string {
  return new Date(at + IST_OFFSET_MS).toISOString().slice(0, 23);
}

/** "30/03/2025 15:37": IST, minutes (the profile's `tokenValidity` format). */
export function istDdMmYyyyHhMm(at: number): string {
  const iso = new Date(at + IST_OFFSET_MS).toISOString();
  return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)} ${iso.slice(11, 16)}`;
}

/** The §3.3-B body, shared by generateAccessToken, consumeApp-consent and RenewToken. */
export function tokenBody(client: FakeDhanClient, record: FakeTokenRecord) {
  return {
    dhanClientId: client.clientId,
    dhanClientName: client.name ?? 'JOHN DOE',
    dhanClientUcc: client.ucc ?? 'ABCD12345E',
    givenPowerOfAttorney: false,
    accessToken: record.token,
    expiryTime: istIsoLocal(record.expiresAt),
  };
}

export function profileBody(client: FakeDhanClient, record: FakeTokenRecord) {
  return {
    dhanClientId: client.clientId,
    tokenValidity: istDdMmYyyyHhMm(record.expiresAt),
    activeSegment: 'Equity, Derivative, Currency, Commodity',
    ddpi: 'Active',
    mtf: 'Active',
    dataPlan: 'Active',
    dataValidity: `${istIsoLocal(record.issuedAt + 30 * 86_400_000).replace('T', ' ').slice(0, 19)}.0`,
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The consent login page a human sees (the real one asks for mobile, OTP/TOTP and PIN). */
export function loginPage(action: string, consentAppId: string, state: string | undefined, clientLabel: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dhan login (fake)</title></head>
<body>
<h1>Log in to Dhan (local fake)</h1>
<p>An app asks for access to Dhan client ${escapeHtml(clientLabel)}. This fake skips the mobile, TOTP and PIN steps.</p>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="consentAppId" value="${escapeHtml(consentAppId)}">
${state === undefined ? '' : `<input type="hidden" name="state" value="${escapeHtml(state)}">`}
<button type="submit">Log in and allow</button>
</form>
</body></html>
`;
}

export function errorPage(message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Dhan login (fake)</title></head><body><p>${escapeHtml(message)}</p></body></html>\n`;
}
