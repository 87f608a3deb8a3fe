import { it } from 'vitest';
import { fyersAppIdHash } from '@tokens/broker-utils';
import { brokerAdapterConformance, createFakeClock, type BrokerAdapterHarness } from '@tokens/test-suite';
import { createFyers } from '../src';
import { startFakeFyers } from '../src/fake';
import { ist, tokenSetOf } from './helpers';

// Long, unique canaries: any of them in an error, a result or the adapter object is a leak.
const APP_SECRET = 'canary-app-secret-3b7e91f0';
const PIN = '7305';

async function harness(): Promise<BrokerAdapterHarness> {
  const clock = createFakeClock(ist('2026-01-05T10:00'));
  const fake = await startFakeFyers({ clock, appId: 'CANARYAPP1-100', appSecret: APP_SECRET, pin: PIN });
  const adapter = createFyers({
    appId: 'CANARYAPP1-100',
    appSecret: APP_SECRET,
    pin: PIN,
    redirectUri: 'http://127.0.0.1:8765/callback',
    baseUrl: fake.url,
    timeoutMs: 2_000,
    environment: {},
  });
  const canaries = [APP_SECRET, fyersAppIdHash('CANARYAPP1-100', APP_SECRET).reveal()];
  return {
    adapter,
    now: () => clock.now(),
    async seedSession() {
      const session = fake.issueSession();
      canaries.push(session.accessToken, session.refreshToken);
      return tokenSetOf(session);
    },
    fault: (mode) => fake.fault(mode),
    async completeLogin(_state, authorizeUrl) {
      return Object.fromEntries(new URL(await fake.browserLogin(authorizeUrl)).searchParams);
    },
    async invalidate(tokenSet) {
      fake.revokeAccessToken(tokenSet.accessToken.reveal());
    },
    canaries,
    close: () => fake.close(),
  };
}

// Every group applies: FYERS renews unattended, has a browser login with a paste fallback and a
// profile probe. FYERS documents no Retry-After on its 429, so the fake sends none by default
// (test/refresh.test.ts covers a 429 that carries one).
brokerAdapterConformance(it, harness, { rateLimitRetryAfter: false });
