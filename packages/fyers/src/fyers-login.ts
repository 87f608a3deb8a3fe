import { InvalidInputError, LoginRequiredError, Secret, type ExchangeInputV1, type InteractiveLoginV1, type TokenSetV1 } from '@tokens/core';
import { parseJsonResponse, type BrokerHttp } from '@tokens/broker-utils';
import { authCodeResponseSchema, FYERS_PATHS, FYERS_REFRESH_TOKEN_LIFETIME_MS } from './fyers-api';
import { exchangeError, malformedError, readErrorEnvelope } from './fyers-errors';
import { fyersTokenSet } from './fyers-token-set';
import type { ResolvedFyersSettings } from './fyers-settings';

export interface FyersLogin extends InteractiveLoginV1 {
  readonly kind: 'oauth-redirect';
  parsePasted(text: string): Record<string, string>;
}

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

const PASTE_HELP =
  'Paste the whole URL your browser was sent to after the FYERS login (it contains `auth_code=`), or the auth_code alone. Note: `code=200` in that URL is a status, not the grant.';

/**
 * Reads what a human pasted after logging in on a machine without a reachable callback: the
 * redirected URL, its query string, or a bare auth code. Never echoes the text (it holds the code).
 */
export function parseFyersPasted(text: string): Record<string, string> {
  const t = typeof text === 'string' ? text.trim() : '';
  if (t === '') throw new InvalidInputError({ field: 'pasted', message: `Nothing was pasted. ${PASTE_HELP}` });
  if (JWT.test(t)) return { auth_code: t };
  let query: string;
  if (/^https?:\/\//i.test(t) && URL.canParse(t)) query = new URL(t).search;
  else if (t.includes('=')) query = t.slice(t.indexOf('?') + 1);
  else throw new InvalidInputError({ field: 'pasted', message: `The pasted text is neither a URL nor an auth code. ${PASTE_HELP}` });
  const params = Object.fromEntries(new URLSearchParams(query));
  if (params.s !== undefined && params.s !== 'ok') {
    throw new InvalidInputError({
      field: 'pasted',
      message: `FYERS reported a failed login (s=${params.s.slice(0, 20)}, code=${(params.code ?? '?').slice(0, 10)}). Log in again.`,
    });
  }
  if (!params.auth_code) throw new InvalidInputError({ field: 'pasted', message: `The pasted URL has no auth_code. ${PASTE_HELP}` });
  return params;
}

export function createFyersLogin(settings: ResolvedFyersSettings, http: BrokerHttp): FyersLogin {
  const { appId, appIdHash } = settings;
  return {
    kind: 'oauth-redirect',
    authorizeUrl({ state, redirectUri }) {
      if (typeof state !== 'string' || state === '') {
        throw new InvalidInputError({ field: 'state', message: 'authorizeUrl needs a non-empty, signed `state`.' });
      }
      const url = new URL(`${settings.baseUrl}${FYERS_PATHS.authorize}`);
      url.searchParams.set('client_id', appId);
      url.searchParams.set('redirect_uri', redirectUri ?? settings.redirectUri);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('state', state);
      return url.toString();
    },
    parsePasted: parseFyersPasted,
    async doExchange({ callbackParams, signal, now }: ExchangeInputV1): Promise<TokenSetV1> {
      const params = callbackParams ?? {};
      if (params.s !== undefined && params.s !== 'ok') {
        throw new LoginRequiredError({ broker: 'fyers', message: `FYERS reported a failed login (s=${String(params.s).slice(0, 20)}). Start the browser login again.` });
      }
      const authCode = params.auth_code;
      if (typeof authCode !== 'string' || authCode === '') {
        throw new InvalidInputError({
          field: 'callbackParams.auth_code',
          message: 'The FYERS callback has no auth_code. The grant is `auth_code`; `code=200` is only a status.',
        });
      }
      const response = await http.request(FYERS_PATHS.exchange, {
        method: 'POST',
        json: { grant_type: 'authorization_code', appIdHash, code: new Secret(authCode) },
        signal,
      });
      if (!response.ok || readErrorEnvelope(response)) throw exchangeError(response);
      let body;
      try {
        body = parseJsonResponse(authCodeResponseSchema, response);
      } catch (error) {
        throw malformedError(error);
      }
      return fyersTokenSet({
        accessToken: body.access_token,
        refreshToken: new Secret(body.refresh_token),
        refreshExpiresAt: now + FYERS_REFRESH_TOKEN_LIFETIME_MS,
        now,
        appId,
      });
    },
  };
}
