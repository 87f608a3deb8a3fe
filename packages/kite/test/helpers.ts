import { createHash } from 'node:crypto';
import { createFakeClock, type FakeClock } from '@tokens/core/testing';
import type { RecordedRequest } from '@tokens/broker-utils/testing';
import { createKite, type KiteAdapter, type KiteSettings } from '../src';
import { startFakeKite, type FakeKiteServer } from '../src/fake';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

// Long, unique values so a leak check cannot pass by accident.
export const API_KEY = 'kitetestkey0042';
export const API_SECRET = 'CANARY-kite-api-secret-5b8e1f0c9a7d';
export const PASSWORD = 'CANARY-kite-password-77e1c0d2';

/** Epoch ms of an IST wall-clock time: ist(2026, 1, 5, 8, 55) = Mon 5 Jan 2026 08:55 IST. */
export function ist(year: number, month: number, day: number, hour = 0, minute = 0): number {
  return Date.UTC(year, month - 1, day, hour, minute) - 5.5 * HOUR;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface KiteRig {
  clock: FakeClock;
  fake: FakeKiteServer;
  kite: KiteAdapter;
  settings: KiteSettings;
  /** Calls the fake received since the last `take()`. */
  take(): RecordedRequest[];
  close(): Promise<void>;
}

/** The adapter wired to a fresh fake over real loopback HTTP, both on one fake clock. */
export async function startRig(o: { start?: number; refreshTokens?: boolean; settings?: Partial<KiteSettings> } = {}): Promise<KiteRig> {
  const clock = createFakeClock(o.start ?? ist(2026, 1, 5, 8, 55));
  const fake = await startFakeKite({
    clock,
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    redirectUrl: 'https://algo.example.com/kite/callback',
    refreshTokens: o.refreshTokens ?? false,
    user: { password: PASSWORD },
  });
  let seen = 0;
  let refreshToken: string | undefined;
  if (o.refreshTokens) refreshToken = fake.mintSession().refreshToken;
  const settings: KiteSettings = {
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    redirectUrl: 'https://algo.example.com/kite/callback',
    baseUrl: fake.url,
    loginUrl: fake.loginUrl,
    timeoutMs: 2_000,
    environment: {},
    ...(refreshToken ? { refreshToken } : {}),
    ...o.settings,
  };
  const kite = createKite(settings);
  return {
    clock,
    fake,
    kite,
    settings,
    take() {
      const out = fake.calls.slice(seen);
      seen = fake.calls.length;
      return out;
    },
    close: () => fake.close(),
  };
}

/** Logs in through the fake's login page and returns the callback params Kite redirected with. */
export async function loginParams(rig: KiteRig, state = 'st-123'): Promise<Record<string, string>> {
  const redirected = await rig.fake.browserLogin(await rig.kite.login.authorizeUrl({ state }), { password: PASSWORD });
  return Object.fromEntries(new URL(redirected).searchParams);
}

export function signal(): AbortSignal {
  return new AbortController().signal;
}
