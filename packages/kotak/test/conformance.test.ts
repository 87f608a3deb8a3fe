import { it } from 'vitest';
import { Secret, type TokenSetV1 } from '@tokens/core';
import { createFakeClock } from '@tokens/core/testing';
import { brokerAdapterConformance } from '@tokens/test-suite';
import { createKotak } from '../src';
import { startFakeKotak } from '../src/fake';
import { ist } from './helpers';

brokerAdapterConformance(
  it,
  async () => {
    const clock = createFakeClock(ist(2026, 1, 27, 8, 30));
    // A fixed MPIN that no timestamp or port of this run can contain.
    const fake = await startFakeKotak({ clock, credentials: { mpin: '583920' } });
    const c = fake.credentials;
    const adapter = createKotak({ ...c, loginBaseUrl: fake.url, timeoutMs: 2_000, environment: {} });
    const canaries = [c.consumerKey, c.totpSecret, c.mpin];
    return {
      adapter,
      now: () => clock.now(),
      async seedSession(): Promise<TokenSetV1> {
        const s = fake.seedSession();
        canaries.push(s.token, s.sid);
        return {
          accessToken: new Secret(s.token),
          expiresAt: s.expiresAt,
          issuedAt: s.issuedAt,
          extras: { baseUrl: s.baseUrl },
          secretExtras: { sid: new Secret(s.sid) },
        };
      },
      fault: (mode) => fake.fault(mode),
      async invalidate(tokenSet) {
        fake.invalidateSession(tokenSet.accessToken.reveal());
      },
      canaries,
      close: () => fake.close(),
    };
  },
  {
    // Kotak renews by logging in again (TOTP + MPIN) and has no human login step: the adapter
    // declares no interactiveLogin, so the login group checks that there is none.
    capabilities: { renewal: 'relogin', validate: true, interactiveLogin: false },
    // Kotak documents its 429 ("Too many requests to the API") without a Retry-After header.
    rateLimitRetryAfter: false,
  },
);
