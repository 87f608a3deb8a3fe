import {
  LoginRequiredError,
  type AdapterDefaultsV1,
  type BrokerAdapterV1,
  type BrokerCapabilitiesV1,
  type ExpiryRuleV1,
  type RefreshInputV1,
  type Secret,
  type TokenSetV1,
  type ValidateInputV1,
  type ValidateResultV1,
} from '@tokens/core';
import { formatIst } from '@tokens/broker-utils';
import { createDhanClient, type DhanClient } from './dhan-client';
import { createDhanLogin } from './dhan-login';
import { resolveDhanSettings, type DhanMode, type DhanSettings } from './dhan-settings';
import { DHAN_TOKEN_LIFETIME_MS, dhanTokenSet, issuedAtOf, jwtExpiryOf } from './dhan-token';

/**
 * The policy of the hand-made Dhan setup this replaces, as engine defaults: probe the session
 * every hour (`GET /v2/profile`) and renew when less than 6 of its 24 hours remain (ratio 0.75,
 * no jitter). An account's own `refreshAhead` / `validateEveryMs` override them.
 */
export const DHAN_DEFAULTS = {
  refreshAhead: { ratio: 0.75, jitter: 0 },
  validateEveryMs: 3_600_000,
} as const satisfies AdapterDefaultsV1;

export interface DhanAdapter extends BrokerAdapterV1 {
  readonly broker: 'dhan';
  readonly mode: DhanMode;
}

const AGREEMENT_MS = 60_000;

function abortIfNeeded(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted.', 'AbortError');
}

/**
 * Creates the Dhan (DhanHQ v2) broker adapter. Settings are validated now and a missing or
 * invalid field throws InvalidConfigError naming it and the fix.
 *
 * ```ts
 * const dhan = createDhan({ clientId: '1000000401', mode: 'totp', pin, totpSecret });
 * await manager.addAccount({ id: 'dhan-main', adapter: dhan });
 * ```
 */
export function createDhan(settings: DhanSettings): DhanAdapter {
  const s = resolveDhanSettings(settings);
  const client = createDhanClient(s);
  const login = s.apiKey ? createDhanLogin(client) : undefined;
  const loginHint = login ? ', or log in through the Dhan consent link' : '';

  const capabilities: BrokerCapabilitiesV1 = {
    // 'relogin' for both unattended modes: renew needs no refresh token, only the current
    // still-valid access token, and says LoginRequiredError itself once that has lapsed.
    renewal: s.mode === 'consent' ? 'none' : 'relogin',
    validate: true,
    renewalInvalidatesPrevious: true,
    ...(login ? { interactiveLogin: 'oauth-redirect' as const } : {}),
  };
  const expiryRule: ExpiryRuleV1 = { kind: 'fixed-lifetime', lifetimeMs: DHAN_TOKEN_LIFETIME_MS };

  async function doRefresh(input: RefreshInputV1): Promise<TokenSetV1> {
    abortIfNeeded(input.signal);
    if (s.mode === 'totp') return client.generateAccessToken(input);
    if (s.mode === 'renew') return renewOrAdopt(client, input, loginHint);
    throw new LoginRequiredError({
      broker: 'dhan',
      message: `Dhan account ${client.clientLabel} uses mode "consent": a human logs in through Dhan's consent page every day. Open the login link to get today's token.`,
    });
  }

  async function doValidate({ tokenSet, signal }: ValidateInputV1): Promise<ValidateResultV1> {
    abortIfNeeded(signal);
    const result = await client.profile(tokenSet.accessToken as Secret, signal);
    if (!result.valid) return { valid: false, reason: result.reason };
    return { valid: true, ...(result.expiresAt !== undefined ? { expiresAt: result.expiresAt } : {}) };
  }

  const adapter: DhanAdapter = {
    specificationVersion: 'v1',
    broker: 'dhan',
    mode: s.mode,
    capabilities,
    expiryRule,
    defaults: DHAN_DEFAULTS,
    doRefresh,
    doValidate,
    ...(login ? { login } : {}),
  };
  return adapter;
}

/**
 * Mode `renew`. Renews the newest still-valid token we hold. A configured token newer than the
 * stored one (a human generated a fresh one on Dhan Web) is adopted as is, after a profile probe.
 * An expired token cannot be renewed (Dhan: "This only renews tokens which are active"), so that
 * is LoginRequiredError without a wasted call.
 */
async function renewOrAdopt(client: DhanClient, input: RefreshInputV1, loginHint: string): Promise<TokenSetV1> {
  const { current, now, signal } = input;
  const configured = client.settings.accessToken!;
  const configuredExp = jwtExpiryOf(configured.reveal());
  const live = current && current.expiresAt > now ? current : undefined;
  const same = current !== undefined && configured.equals(current.accessToken);
  const configuredIsNewer =
    !same && (configuredExp === undefined ? live === undefined : configuredExp > now && configuredExp > (current?.expiresAt ?? 0));

  if (configuredIsNewer) return adopt(client, configured, configuredExp, input, loginHint);
  if (live) return client.renewToken(live.accessToken as Secret, { now, signal });
  const expiredAt = current?.expiresAt ?? configuredExp;
  throw new LoginRequiredError({
    broker: 'dhan',
    message: `The Dhan access token of client ${client.clientLabel} ${expiredAt !== undefined ? `expired at ${formatIst(expiredAt)}` : 'has expired'} and Dhan renews only active tokens. Generate a new token on web.dhan.co (My Profile → Access DhanHQ APIs) and set \`accessToken\`${loginHint}.`,
  });
}

async function adopt(client: DhanClient, token: Secret, jwtExp: number | undefined, input: RefreshInputV1, loginHint: string): Promise<TokenSetV1> {
  const { now, signal } = input;
  const probe = await client.profile(token, signal);
  if (!probe.valid) {
    throw new LoginRequiredError({
      broker: 'dhan',
      message: `The configured Dhan access token of client ${client.clientLabel} is not accepted: ${probe.reason} Generate a new token on web.dhan.co and set \`accessToken\`${loginHint}.`,
    });
  }
  const fromProfile = probe.expiresAt;
  let expiresAt = jwtExp ?? fromProfile;
  if (jwtExp !== undefined && fromProfile !== undefined && Math.abs(jwtExp - fromProfile) > AGREEMENT_MS) expiresAt = Math.min(jwtExp, fromProfile);
  // Neither the token nor the profile says when it dies: renew now and learn it from the answer.
  if (expiresAt === undefined) return client.renewToken(token, { now, signal });
  if (expiresAt <= now) {
    throw new LoginRequiredError({
      broker: 'dhan',
      message: `The configured Dhan access token of client ${client.clientLabel} expired at ${formatIst(expiresAt)}. Generate a new token on web.dhan.co and set \`accessToken\`${loginHint}.`,
    });
  }
  const raw = token.reveal();
  return dhanTokenSet({ token: raw, expiresAt, issuedAt: issuedAtOf(raw, expiresAt, now), clientId: client.settings.clientId, source: 'configured' });
}
