import { Secret, type TokensError, type TokenSetV1 } from '@tokens/core';
import { createFakeClock, type FakeClock } from '@tokens/core/testing';
import type { BrokerAdapterHarness } from '@tokens/test-suite';
import { createSchwab, type SchwabAdapter, type SchwabSettings } from '../../src';
import { startFakeSchwab, type FakeSchwabOptions, type FakeSchwabServer, type FakeSchwabSession } from '../../src/fake';

// Long, unique values so canary checks cannot match by accident.
export const APP_KEY = 'TkVXQVBQS0VZMTIzNDU2Nzg5MEFCQ0RFRg';
export const APP_SECRET = 'canary-app-secret-7f3c9a1e5b2d4f60';
export const CALLBACK_URL = 'https://127.0.0.1:8182';
/** Monday 2026-01-05 14:30 UTC. */
export const START = Date.UTC(2026, 0, 5, 14, 30);

export interface SchwabTestRig {
  clock: FakeClock;
  fake: FakeSchwabServer;
  adapter: SchwabAdapter;
  close(): Promise<void>;
}

export async function startRig(
  o: { clock?: FakeClock; fake?: Partial<FakeSchwabOptions>; adapter?: Partial<SchwabSettings> } = {},
): Promise<SchwabTestRig> {
  const clock = o.clock ?? createFakeClock(START);
  const fake = await startFakeSchwab({ appKey: APP_KEY, appSecret: APP_SECRET, callbackUrl: CALLBACK_URL, clock, ...o.fake });
  const adapter = createSchwab({ appKey: APP_KEY, appSecret: APP_SECRET, callbackUrl: CALLBACK_URL, baseUrl: fake.url, timeoutMs: 500, ...o.adapter });
  return { clock, fake, adapter, close: () => fake.close() };
}

/** A fake session as the TokenSetV1 a store would hold after a login. */
export function toTokenSet(s: FakeSchwabSession): TokenSetV1 {
  return {
    accessToken: new Secret(s.accessToken),
    refreshToken: new Secret(s.refreshToken),
    issuedAt: s.issuedAt,
    expiresAt: s.expiresAt,
    refreshExpiresAt: s.refreshExpiresAt,
    tokenType: 'Bearer',
    extras: { scope: 'api' },
    secretExtras: { idToken: new Secret(s.idToken) },
  };
}

/** The conformance harness: the adapter wired to its fake over loopback, on a fake clock. */
export async function createSchwabHarness(redirectUri: string): Promise<BrokerAdapterHarness> {
  const rig = await startRig({ fake: { callbackUrl: redirectUri }, adapter: { callbackUrl: redirectUri } });
  const seeded: string[] = [];
  return {
    adapter: rig.adapter,
    now: () => rig.clock.now(),
    async seedSession() {
      const session = rig.fake.issueSession();
      seeded.push(session.accessToken, session.refreshToken, session.idToken);
      return toTokenSet(session);
    },
    fault: (mode) => rig.fake.fault(mode, mode === 'rate-limit' ? { retryAfterSeconds: 7 } : {}),
    async completeLogin(_state, authorizeUrl) {
      return Object.fromEntries(new URL(await rig.fake.browserLogin(authorizeUrl)).searchParams);
    },
    async invalidate(tokenSet) {
      rig.fake.revokeAccessToken(tokenSet.accessToken.reveal());
    },
    get canaries() {
      return [APP_SECRET, ...seeded];
    },
    close: rig.close,
  };
}

/** What `promise` rejected with; fails the test when it resolves. */
export async function rejected<E = TokensError>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (error) {
    return error as E;
  }
  throw new Error('expected a rejection, but the promise resolved');
}
