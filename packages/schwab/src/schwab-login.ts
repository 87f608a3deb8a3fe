import { InvalidInputError, Secret, type AuthorizeUrlInputV1, type ExchangeInputV1, type InteractiveLoginV1, type TokenSetV1 } from '@tokens/core';
import type { BrokerHttp } from '@tokens/broker-utils';
import { REFRESH_TOKEN_LIFETIME_MS, SCHWAB_PATHS } from './schwab-api';
import type { ResolvedSchwabSettings } from './schwab-settings';
import { postToken, toTokenSet } from './schwab-token';

export interface SchwabLogin extends InteractiveLoginV1 {
  readonly kind: 'oauth-redirect';
  authorizeUrl(input: AuthorizeUrlInputV1): string;
  parsePasted(text: string): Record<string, string>;
}

const PASTE_HINT =
  "Paste the whole address from the browser's address bar after the Schwab login: it starts with your callback URL and contains ?code=…&session=…";

/**
 * Schwab sends the code URL-encoded (it usually ends in "%40", an encoded "@") and wants it
 * decoded. Callback params are normally decoded already; a raw query value is decoded here.
 */
export function decodeAuthorizationCode(code: string): string {
  if (!/%[0-9A-Fa-f]{2}/.test(code)) return code;
  try {
    return decodeURIComponent(code);
  } catch {
    return code;
  }
}

function deniedError(params: Record<string, string>): InvalidInputError {
  return new InvalidInputError({
    code: 'LOGIN_DENIED',
    field: 'error',
    message: `The Schwab login did not complete (error "${params.error?.slice(0, 64)}"): start the login again and approve access to the accounts.`,
  });
}

/** Turns what a human pasted (the redirected URL, or its query string) into callback params. */
export function parseSchwabRedirect(text: string): Record<string, string> {
  const trimmed = typeof text === 'string' ? text.trim() : '';
  if (trimmed === '') throw new InvalidInputError({ field: 'pasted', message: `Nothing was pasted. ${PASTE_HINT}` });
  let params: URLSearchParams;
  if (URL.canParse(trimmed)) params = new URL(trimmed).searchParams;
  else if (/^\??[^\s=&]+=/.test(trimmed)) params = new URLSearchParams(trimmed.replace(/^\?/, ''));
  else throw new InvalidInputError({ field: 'pasted', message: `That is not a URL. ${PASTE_HINT}` });
  const out = Object.fromEntries(params);
  if (out.error !== undefined) throw deniedError(out);
  if (!out.code) throw new InvalidInputError({ field: 'pasted', message: `The pasted URL has no "code" parameter. ${PASTE_HINT}` });
  return out;
}

/**
 * The weekly human step. `authorizeUrl` sends the human to Schwab; Schwab redirects to the
 * callback URL with `code` and `session`; `doExchange` trades the code (within ~30 s) for a
 * token set whose refresh token lives 7 days.
 */
export function createSchwabLogin(http: BrokerHttp, settings: ResolvedSchwabSettings): SchwabLogin {
  return {
    kind: 'oauth-redirect',
    authorizeUrl({ state, redirectUri }) {
      const url = new URL(`${settings.baseUrl}${SCHWAB_PATHS.authorize}`);
      url.searchParams.set('client_id', settings.appKey);
      url.searchParams.set('redirect_uri', redirectUri ?? settings.callbackUrl);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('state', state);
      return url.toString();
    },
    parsePasted: parseSchwabRedirect,
    async doExchange({ callbackParams, redirectUri, signal, now }: ExchangeInputV1): Promise<TokenSetV1> {
      const params = callbackParams ?? {};
      if (params.error !== undefined) throw deniedError(params);
      if (typeof params.code !== 'string' || params.code.trim() === '') {
        throw new InvalidInputError({
          field: 'callbackParams.code',
          message: `The Schwab callback carried no authorization code. Finish through the callback URL, or ${PASTE_HINT.charAt(0).toLowerCase()}${PASTE_HINT.slice(1)}`,
        });
      }
      const code = new Secret(decodeAuthorizationCode(params.code.trim()));
      const body = await postToken(http, settings, 'authorization_code', { code, redirect_uri: redirectUri ?? settings.callbackUrl }, signal);
      // The 7-day clock starts at this login and no refresh moves it.
      return toTokenSet(body, { now, refreshExpiresAt: now + REFRESH_TOKEN_LIFETIME_MS });
    },
  };
}
