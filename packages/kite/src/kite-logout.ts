import type { SecretValue, TokenSetV1 } from '@tokens/core';
import { parseJsonResponse, type BrokerHttp } from '@tokens/broker-utils';
import { kiteLogoutResponse } from './kite-api';
import { isKiteTokenRejection, kiteErrorFromResponse } from './kite-errors';
import { createKiteHttp, isKiteSuccess, kiteAuthorization } from './kite-session';
import { resolveKiteSettings, type KiteSettings, type ResolvedKiteSettings } from './kite-settings';

export interface KiteRevokeInput {
  /** The session to end. Its refresh token, if any, is invalidated too unless `keepRefreshToken`. */
  tokenSet: TokenSetV1;
  /** Keep the refresh token (approved platforms) alive. Default false. */
  keepRefreshToken?: boolean;
  signal?: AbortSignal;
}

export type KiteRevokeOutcome = 'revoked' | 'already-invalid';

export interface KiteRevokeResult {
  accessToken: KiteRevokeOutcome;
  refreshToken?: KiteRevokeOutcome;
}

async function invalidate(
  http: BrokerHttp,
  settings: ResolvedKiteSettings,
  query: Record<string, string | SecretValue>,
  accessToken: SecretValue,
  signal: AbortSignal | undefined,
): Promise<KiteRevokeOutcome> {
  const response = await http.request('/session/token', {
    method: 'DELETE',
    query: { api_key: settings.apiKey, ...query },
    // kiteconnectjs sends the session's Authorization header with the logout too.
    headers: { Authorization: kiteAuthorization(settings.apiKey, accessToken) },
    ...(signal ? { signal } : {}),
  });
  if (isKiteSuccess(response)) {
    parseJsonResponse(kiteLogoutResponse, response);
    return 'revoked';
  }
  // A session that is already dead is what the caller wanted.
  if (isKiteTokenRejection(response)) return 'already-invalid';
  throw kiteErrorFromResponse(response, 'logout');
}

/** `DELETE /session/token?api_key=…&access_token=…` (and `…&refresh_token=…` when there is one). */
export async function revokeKiteSession(http: BrokerHttp, settings: ResolvedKiteSettings, input: KiteRevokeInput): Promise<KiteRevokeResult> {
  const { tokenSet, signal } = input;
  const result: KiteRevokeResult = {
    accessToken: await invalidate(http, settings, { access_token: tokenSet.accessToken }, tokenSet.accessToken, signal),
  };
  if (tokenSet.refreshToken && !input.keepRefreshToken) {
    result.refreshToken = await invalidate(http, settings, { refresh_token: tokenSet.refreshToken }, tokenSet.accessToken, signal);
  }
  return result;
}

/**
 * Logs a Kite session out, for when the user asks to revoke it (the daemon's "revoke" button).
 * Resolves `'already-invalid'` rather than failing when Kite no longer knows the session.
 *
 * ```ts
 * await kiteLogout({ apiKey, apiSecret }, { tokenSet: await manager.getTokenSet('kite-main') });
 * ```
 */
export function kiteLogout(settings: KiteSettings, input: KiteRevokeInput): Promise<KiteRevokeResult> {
  const resolved = resolveKiteSettings(settings);
  return revokeKiteSession(createKiteHttp(resolved), resolved, input);
}
