import { InvalidInputError, type AuthorizeUrlInputV1, type ExchangeInputV1, type TokenSetV1 } from '@tokens/core';
import { kiteChecksum, type BrokerHttp } from '@tokens/broker-utils';
import { readKiteSession } from './kite-session';
import type { ResolvedKiteSettings } from './kite-settings';

// Request tokens seen in the wild are 32 alphanumerics; accept a little more to stay tolerant.
const REQUEST_TOKEN = /^[A-Za-z0-9]{8,128}$/;

function pasteError(message: string): InvalidInputError {
  return new InvalidInputError({ field: 'pasted', code: 'INVALID_PASTED_LOGIN', message });
}

/**
 * `https://kite.zerodha.com/connect/login?v=3&api_key=…&redirect_params=state%3D…`. Kite
 * redirects to the app's registered redirect URL (not one chosen per login) and appends the
 * `redirect_params` to it, which is how the signed `state` comes back.
 */
export function kiteAuthorizeUrl(settings: ResolvedKiteSettings, input: AuthorizeUrlInputV1): string {
  if (typeof input?.state !== 'string' || input.state.length === 0) {
    throw new InvalidInputError({ field: 'state', message: 'authorizeUrl() needs a non-empty state to carry through redirect_params.' });
  }
  const url = new URL(settings.loginUrl);
  url.searchParams.set('v', '3');
  url.searchParams.set('api_key', settings.apiKey);
  url.searchParams.set('redirect_params', new URLSearchParams({ state: input.state }).toString());
  return url.toString();
}

/**
 * What a human pasted → callback params: the URL Kite redirected to (every query parameter
 * kept, `request_token` required), a bare query string, or the bare request token.
 */
export function parseKitePasted(text: string): Record<string, string> {
  if (typeof text !== 'string' || text.trim() === '') {
    throw pasteError('Nothing was pasted. Paste the URL Kite redirected to after the login, or its request_token.');
  }
  const trimmed = text.trim();
  if (REQUEST_TOKEN.test(trimmed)) return { request_token: trimmed };
  let query: string;
  if (/^https?:\/\//i.test(trimmed)) {
    if (!URL.canParse(trimmed)) throw pasteError('The pasted text looks like a URL but cannot be read. Paste the whole address from the browser bar.');
    query = new URL(trimmed).search;
  } else if (trimmed.includes('request_token=')) {
    query = trimmed.slice(trimmed.indexOf('?') + 1);
  } else {
    // Never echo the text: it may hold a token.
    throw pasteError('Expected the URL Kite redirected to (…?request_token=…&status=success) or the 32-character request_token.');
  }
  const params = Object.fromEntries(new URLSearchParams(query));
  checkCallback(params, 'pasted');
  return params;
}

function checkCallback(params: Record<string, string>, field: string): string {
  if (params.status !== undefined && params.status !== 'success') {
    throw new InvalidInputError({
      field,
      code: 'LOGIN_NOT_COMPLETED',
      message: `The Kite login did not succeed (status "${params.status.slice(0, 20)}"). Log in again.`,
    });
  }
  const token = params.request_token?.trim();
  if (!token) {
    throw new InvalidInputError({
      field,
      code: 'MISSING_REQUEST_TOKEN',
      message: 'The Kite callback has no request_token. Finish the login on Kite, then use the URL it redirected to.',
    });
  }
  if (!REQUEST_TOKEN.test(token)) {
    throw new InvalidInputError({ field, code: 'INVALID_REQUEST_TOKEN', message: 'The request_token is malformed: it should be letters and digits only (usually 32).' });
  }
  return token;
}

/** `POST /session/token` with `checksum = sha256(api_key + request_token + api_secret)`. */
export async function exchangeKiteRequestToken(http: BrokerHttp, settings: ResolvedKiteSettings, input: ExchangeInputV1): Promise<TokenSetV1> {
  const requestToken = checkCallback(input?.callbackParams ?? {}, 'callbackParams');
  const response = await http.request('/session/token', {
    method: 'POST',
    form: {
      api_key: settings.apiKey,
      request_token: requestToken,
      checksum: kiteChecksum(settings.apiKey, requestToken, settings.apiSecret),
    },
    signal: input.signal,
    secretValues: [requestToken],
  });
  return readKiteSession(response, 'exchange', {
    apiKey: settings.apiKey,
    now: input.now,
    ...(settings.refreshToken ? { refreshToken: settings.refreshToken } : {}),
  });
}
