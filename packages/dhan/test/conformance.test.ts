import { describe, it } from 'vitest';
import { brokerAdapterConformance, type BrokerAdapterHarness, type BrokerFaultMode } from '@tokens/test-suite';
import { generateTotp } from '@tokens/broker-utils';
import { Secret, type TokenSetV1 } from '@tokens/core';
import { createDhan, type DhanMode } from '../src';
import { FAKE_DHAN_APP, startFakeDhan, type FakeDhanClient } from '../src/fake';
import { createFakeClock } from '@tokens/core/testing';
import { START } from './helpers';

// Canary credentials: long and unique so a hit cannot be a coincidence.
const client: FakeDhanClient = { clientId: '1100003626', pin: '739164', totpSecret: 'KRUGS4ZANFZSAYJAMNQW4YLSPEQHGZLDOJSXIIDLMV4SA5DP' };
const app = { ...FAKE_DHAN_APP, clientId: client.clientId, apiKey: 'canary-api-key-5f1d0c2e9b7a', apiSecret: 'canary-api-secret-8e3b6a4d2c1f0e9a' };

async function harness(mode: DhanMode, withLogin: boolean): Promise<BrokerAdapterHarness> {
  const clock = createFakeClock(START);
  const fake = await startFakeDhan({ clock, clients: [client], apps: [app] });
  const canaries: string[] = [client.pin, client.totpSecret!, generateTotp({ secret: client.totpSecret!, now: START }).reveal()];
  const web = mode === 'renew' ? fake.issueToken({ source: 'web' }).accessToken : undefined;
  if (web) canaries.push(web);
  if (withLogin || mode === 'consent') canaries.push(app.apiKey, app.apiSecret);
  const adapter = createDhan({
    mode,
    clientId: client.clientId,
    baseUrl: fake.url,
    authBaseUrl: fake.authUrl,
    environment: {},
    ...(mode === 'totp' ? { pin: client.pin, totpSecret: client.totpSecret } : {}),
    ...(web ? { accessToken: new Secret(web) } : {}),
    ...(withLogin || mode === 'consent' ? { apiKey: app.apiKey, apiSecret: app.apiSecret } : {}),
  });
  return {
    adapter,
    now: () => clock.now(),
    async seedSession(): Promise<TokenSetV1> {
      const source = mode === 'renew' ? 'web' : mode;
      const t = fake.issueToken({ source });
      canaries.push(t.accessToken);
      return { accessToken: new Secret(t.accessToken), issuedAt: t.issuedAt, expiresAt: t.expiresAt, extras: { dhanClientId: client.clientId } };
    },
    // Dhan sends no Retry-After we know of; the fake adds one so retryAfterMs plumbing is checked.
    fault: (mode: BrokerFaultMode) => fake.fault(mode, mode === 'rate-limit' ? { retryAfterSeconds: 2 } : {}),
    async completeLogin(_state, authorizeUrl) {
      return Object.fromEntries(new URL(await fake.browserLogin(authorizeUrl)).searchParams);
    },
    async invalidate(tokenSet) {
      fake.revokeToken(tokenSet.accessToken.reveal());
    },
    canaries,
    close: () => fake.close(),
  };
}

// No group is disabled: every mode renews or probes over the wire. What each mode declares is
// told to the suite, which checks the adapter against it (e.g. no login without an API key).
describe('mode totp (PIN + TOTP re-mint)', () =>
  brokerAdapterConformance(it, () => harness('totp', false), { capabilities: { renewal: 'relogin', interactiveLogin: false } }),
);
describe('mode totp with an API key (consent login as the human fallback)', () =>
  brokerAdapterConformance(it, () => harness('totp', true), { capabilities: { renewal: 'relogin', interactiveLogin: 'oauth-redirect' } }),
);
describe('mode renew (RenewToken chain)', () =>
  brokerAdapterConformance(it, () => harness('renew', false), { capabilities: { renewal: 'relogin', interactiveLogin: false } }),
);
describe('mode consent (daily browser login)', () =>
  brokerAdapterConformance(it, () => harness('consent', true), { capabilities: { renewal: 'none', interactiveLogin: 'oauth-redirect' } }),
);
