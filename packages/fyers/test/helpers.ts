import { Secret, type TokenSetV1 } from '@tokens/core';
import { createFakeClock, type FakeClock } from '@tokens/core/testing';
import { createFyers, type FyersAdapter, type FyersSettings } from '../src';
import { startFakeFyers, type FakeFyersServer, type FakeFyersSession, type StartFakeFyersOptions } from '../src/fake';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

/** The research §1.8 test vector. */
export const APP_ID = 'ABCDEFGH12-100';
export const APP_SECRET = 'SECRETKEY1';
export const APP_ID_HASH = '78fc2f09c1474812d519909857aaaab6cd8dc6f69d4b1ad0134f4e4f46808f95';
export const PIN = '4821';
export const REDIRECT_URI = 'https://127.0.0.1:8765/fyers/callback';

/** Epoch ms of an IST wall-clock time ("2026-01-05T10:00"). */
export function ist(local: string): number {
  return Date.parse(`${local}:00+05:30`);
}

export interface Setup {
  clock: FakeClock;
  fake: FakeFyersServer;
  adapter: FyersAdapter;
  close(): Promise<void>;
}

/** The fake on a fake clock (Monday 2026-01-05 10:00 IST by default) and an adapter wired to it. */
export async function setup(o: { start?: number; fake?: StartFakeFyersOptions; settings?: Partial<FyersSettings> } = {}): Promise<Setup> {
  const clock = createFakeClock(o.start ?? ist('2026-01-05T10:00'));
  const fake = await startFakeFyers({ clock, appId: APP_ID, appSecret: APP_SECRET, pin: PIN, redirectUri: REDIRECT_URI, ...o.fake });
  const adapter = createFyers({
    appId: APP_ID,
    appSecret: APP_SECRET,
    pin: PIN,
    redirectUri: REDIRECT_URI,
    baseUrl: fake.url,
    timeoutMs: 2_000,
    environment: {},
    ...o.settings,
  });
  return { clock, fake, adapter, close: () => fake.close() };
}

/** A stored token set for a session the fake issued (as the engine would hold it). */
export function tokenSetOf(session: FakeFyersSession): TokenSetV1 {
  return {
    accessToken: new Secret(session.accessToken),
    refreshToken: new Secret(session.refreshToken),
    issuedAt: session.issuedAt,
    expiresAt: session.expiresAt,
    refreshExpiresAt: session.refreshExpiresAt,
    extras: { appId: APP_ID },
  };
}

export const signal = (): AbortSignal => new AbortController().signal;

export async function rejection(promise: Promise<unknown> | (() => unknown)): Promise<any> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
