import { describe, it } from 'vitest';
import { brokerAdapterConformance, type BrokerAdapterHarness } from '@tokens/test-suite';
import { revealInput } from '@tokens/broker-utils';
import { API_SECRET, loginParams, signal, startRig } from './helpers';

// Every group applies to Kite, so none is disabled. A normal app declares renewal 'none' (the
// suite then checks doRefresh asks for a human and reaches the wire through doValidate); the
// approved-app run covers renewal with a refresh token.
async function harness(refreshTokens: boolean): Promise<BrokerAdapterHarness> {
  const rig = await startRig({ refreshTokens });
  const canaries = [API_SECRET];
  if (rig.settings.refreshToken) canaries.push(revealInput(rig.settings.refreshToken));
  return {
    adapter: rig.kite,
    now: () => rig.clock.now(),
    async seedSession() {
      // A real login through the fake's page and a real exchange, as a human did earlier.
      const params = await loginParams(rig);
      const tokenSet = await rig.kite.login.doExchange({ accountId: 'seed', callbackParams: params, signal: signal(), now: rig.clock.now() });
      canaries.push(tokenSet.accessToken.reveal(), params.request_token!);
      if (tokenSet.refreshToken) canaries.push(tokenSet.refreshToken.reveal());
      return tokenSet;
    },
    // Kite's 429 is assumed to carry Retry-After here (the suite checks retryAfterMs when present).
    fault: (mode) => rig.fake.fault(mode, mode === 'rate-limit' ? { retryAfterSeconds: 1 } : {}),
    async completeLogin(_state, authorizeUrl) {
      const redirected = await rig.fake.browserLogin(authorizeUrl);
      const params = Object.fromEntries(new URL(redirected).searchParams);
      canaries.push(params.request_token!);
      return params;
    },
    async invalidate(tokenSet) {
      rig.fake.invalidate(tokenSet.accessToken.reveal());
    },
    canaries,
    close: () => rig.close(),
  };
}

describe('normal app (renewal none)', () => {
  brokerAdapterConformance(it, () => harness(false), {
    capabilities: { renewal: 'none', validate: true, interactiveLogin: 'oauth-redirect', parsePasted: true },
    redirectUri: 'https://algo.example.com/kite/callback',
  });
});

describe('approved app with a refresh token (renewal refresh-token)', () => {
  brokerAdapterConformance(it, () => harness(true), {
    capabilities: { renewal: 'refresh-token', validate: true, interactiveLogin: 'oauth-redirect', parsePasted: true },
    redirectUri: 'https://algo.example.com/kite/callback',
  });
});
