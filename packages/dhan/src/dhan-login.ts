import { InvalidInputError, type InteractiveLoginV1 } from '@tokens/core';
import type { DhanClient } from './dhan-client';

const TOKEN_ID = /^[A-Za-z0-9._~-]{6,200}$/;

function pastedHelp(): InvalidInputError {
  return new InvalidInputError({
    field: 'pasted',
    message: 'Paste the whole address Dhan redirected your browser to (it contains "tokenId="), or just the tokenId.',
  });
}

/**
 * Reads what a human pasted after the consent login: the redirected URL (`…?tokenId=…`, plus
 * `state` when present) or a bare tokenId.
 */
export function parseDhanPasted(text: string): Record<string, string> {
  const trimmed = typeof text === 'string' ? text.trim() : '';
  if (trimmed === '') throw pastedHelp();
  if (TOKEN_ID.test(trimmed)) return { tokenId: trimmed };
  const query = trimmed.includes('?') ? trimmed.slice(trimmed.indexOf('?') + 1) : trimmed;
  const params = new URLSearchParams(query.split('#')[0]);
  // Dhan documents `tokenId`; its partner flow spells it `tokenid`.
  const tokenId = params.get('tokenId') ?? params.get('tokenid');
  if (!tokenId || !TOKEN_ID.test(tokenId)) throw pastedHelp();
  const state = params.get('state');
  return { tokenId, ...(state ? { state } : {}) };
}

/**
 * Dhan's API-key consent login: `generate-consent` → browser at `consentApp-login` → redirect
 * with `tokenId` → `consumeApp-consent`. The redirect URL is the one registered with the API key
 * on web.dhan.co; Dhan does not document passing `state` through, so it is appended to the login
 * URL and checked only when it comes back.
 */
export function createDhanLogin(client: DhanClient): InteractiveLoginV1 {
  return {
    kind: 'oauth-redirect',
    async authorizeUrl({ state }) {
      const consentAppId = await client.generateConsent();
      const url = new URL(`${client.settings.authBaseUrl}/login/consentApp-login`);
      url.searchParams.set('consentAppId', consentAppId);
      if (state) url.searchParams.set('state', state);
      return url.toString();
    },
    parsePasted: parseDhanPasted,
    async doExchange({ callbackParams, signal, now }) {
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted.', 'AbortError');
      const tokenId = callbackParams?.tokenId ?? callbackParams?.tokenid;
      if (typeof tokenId !== 'string' || !TOKEN_ID.test(tokenId)) {
        throw new InvalidInputError({
          field: 'callbackParams.tokenId',
          message: 'The Dhan login callback has no valid `tokenId`; finish the login in the browser and pass the redirected URL.',
        });
      }
      return client.consumeConsent(tokenId, { now, signal });
    },
  };
}
