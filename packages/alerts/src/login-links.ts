import { InvalidConfigError, InvalidInputError, isValidAccountId, type ClockV1 } from '@tokens/core';
import { withoutTrailingSlash, type SecretInput } from '@tokens/broker-utils';
import { createMemoryNonceStore, type UsedNonceStore } from './nonce-store';
import { assertStateSecret, signState, verifyState } from './signed-state';

export interface LoginLinksSettings {
  /** HMAC key, at least 32 characters (`openssl rand -hex 32`). Shared by every daemon behind `baseUrl`. */
  secret: SecretInput;
  /** The daemon's public URL as a human's phone reaches it, e.g. "https://tokens.example.com". */
  baseUrl: string;
  /** How long a link (and an OAuth state) stays valid. Default 30 minutes. */
  ttlMs?: number;
  clock?: Pick<ClockV1, 'now'>;
  /** Where spent nonces are remembered. Default: in memory (one daemon). */
  store?: UsedNonceStore;
}

export type LoginLinkResult =
  | { ok: true; accountId: string; expiresAt: number }
  | {
      ok: false;
      /** Show the human a page saying which, and offer a fresh link from the dashboard. */
      reason: 'expired' | 'reused' | 'tampered' | 'wrong-account';
    };

export interface LoginLinks {
  /** `<baseUrl>/login/<account>?s=<signed state>`: put it in alerts as the action URL. */
  linkFor(accountId: string): string;
  /**
   * Checks a link without spending it. For the page a GET renders: chat apps and mail
   * scanners open links before the human does, so spend the link on the confirming POST.
   */
  check(accountId: string, s: string | null | undefined): Promise<LoginLinkResult>;
  /** Checks a link and spends it: a second call with the same link returns `reused`. */
  verify(accountId: string, s: string | null | undefined): Promise<LoginLinkResult>;
  /** A signed, expiring OAuth `state` for the broker's authorize URL. */
  oauthState(accountId: string): string;
  /** Checks and spends the `state` the broker sends back to the callback; tells which account it was for. */
  verifyOAuthState(state: string | null | undefined): Promise<LoginLinkResult>;
}

const LINK = 'login-link';
const OAUTH = 'oauth';

/**
 * One-tap login links for alerts: HMAC-signed, expiring, single-use. The daemon's
 * `/login/:account` route checks the link, starts the broker's login with `oauthState`, and
 * the callback completes it after `verifyOAuthState`.
 */
export function createLoginLinks(settings: LoginLinksSettings): LoginLinks {
  assertStateSecret(settings.secret);
  const baseUrl = withoutTrailingSlash(settings.baseUrl ?? '');
  if (!URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol)) {
    throw new InvalidConfigError({ issues: [{ path: 'baseUrl', message: 'must be the daemon’s public http(s) URL, e.g. "https://tokens.example.com"' }] });
  }
  const ttlMs = settings.ttlMs ?? 30 * 60_000;
  if (!(Number.isFinite(ttlMs) && ttlMs > 0)) throw new InvalidConfigError({ issues: [{ path: 'ttlMs', message: 'must be a positive number of milliseconds' }] });
  const now = settings.clock ? () => settings.clock!.now() : () => Date.now();
  const store = settings.store ?? createMemoryNonceStore({ ...(settings.clock ? { clock: settings.clock } : {}) });
  const { secret } = settings;

  const assertAccount = (accountId: string) => {
    if (!isValidAccountId(accountId)) throw new InvalidInputError({ message: 'Not a valid account id.', field: 'accountId' });
  };

  const spend = async (result: ReturnType<typeof verifyState>): Promise<LoginLinkResult> => {
    if (!result.ok) return result;
    const fresh = await store.markUsed(`${result.purpose}:${result.nonce}`, result.expiresAt);
    if (!fresh) return { ok: false, reason: 'reused' };
    return { ok: true, accountId: result.accountId, expiresAt: result.expiresAt };
  };

  const checkLink = (accountId: string, s: string | null | undefined) => verifyState({ secret, state: s, now: now(), purpose: LINK, accountId });

  return {
    linkFor(accountId) {
      assertAccount(accountId);
      const s = signState({ secret, accountId, expiresAt: now() + ttlMs, purpose: LINK });
      return `${baseUrl}/login/${encodeURIComponent(accountId)}?s=${s}`;
    },
    async check(accountId, s) {
      const result = checkLink(accountId, s);
      if (!result.ok) return result;
      if (await store.isUsed?.(`${result.purpose}:${result.nonce}`)) return { ok: false, reason: 'reused' };
      return { ok: true, accountId: result.accountId, expiresAt: result.expiresAt };
    },
    verify: (accountId, s) => spend(checkLink(accountId, s)),
    oauthState(accountId) {
      assertAccount(accountId);
      return signState({ secret, accountId, expiresAt: now() + ttlMs, purpose: OAUTH });
    },
    verifyOAuthState: (state) => spend(verifyState({ secret, state, now: now(), purpose: OAUTH })),
  };
}
