import type { BrokerAdapterV1, RefreshInputV1, TokenSetV1 } from '@tokens/core';
import { createFakeClock, type FakeClock } from '@tokens/core/testing';
import { createDhan, type DhanAdapter, type DhanMode, type DhanSettings } from '../src';
import { FAKE_DHAN_APP, FAKE_DHAN_CLIENT, startFakeDhan, type FakeDhanOptions, type FakeDhanServer } from '../src/fake';

/** Monday 5 January 2026, 09:30 IST. */
export const START = Date.UTC(2026, 0, 5, 4, 0, 0);
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export const signal = (): AbortSignal => new AbortController().signal;

export interface Setup {
  clock: FakeClock;
  fake: FakeDhanServer;
  adapter: DhanAdapter;
  now(): number;
  refresh(current?: TokenSetV1): Promise<TokenSetV1>;
  close(): Promise<void>;
}

/** The fake on a fake clock, and an adapter of `mode` pointed at it. */
export async function setup(mode: DhanMode, overrides: Partial<DhanSettings> = {}, fakeOptions: FakeDhanOptions = {}): Promise<Setup> {
  const clock = createFakeClock(START);
  const fake = await startFakeDhan({ clock, ...fakeOptions });
  const base: DhanSettings = {
    mode,
    clientId: FAKE_DHAN_CLIENT.clientId,
    baseUrl: fake.url,
    authBaseUrl: fake.authUrl,
    environment: {},
  };
  if (mode === 'totp') Object.assign(base, { pin: FAKE_DHAN_CLIENT.pin, totpSecret: FAKE_DHAN_CLIENT.totpSecret });
  if (mode === 'renew' && overrides.accessToken === undefined) base.accessToken = fake.issueToken().accessToken;
  if (mode === 'consent') Object.assign(base, { apiKey: FAKE_DHAN_APP.apiKey, apiSecret: FAKE_DHAN_APP.apiSecret });
  const adapter = createDhan({ ...base, ...overrides });
  return {
    clock,
    fake,
    adapter,
    now: () => clock.now(),
    refresh: (current) => adapter.doRefresh({ accountId: 'acct', now: clock.now(), signal: signal(), ...(current ? { current } : {}) } as RefreshInputV1),
    close: () => fake.close(),
  };
}

/** Awaits a rejection and returns the error (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown> | (() => Promise<unknown>)): Promise<Record<string, unknown> & Error> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    return error as Record<string, unknown> & Error;
  }
  throw new Error('expected a rejection');
}

/** Polls `check` in real time (a few ms apart) until it holds; loopback HTTP needs real I/O time. */
export async function waitFor(check: () => boolean, what: string, ms = 2_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * Wraps an adapter so a test can wait until no broker call is in flight: after advancing the
 * fake clock, engine refreshes and probes run over real loopback HTTP.
 */
export function tracked<A extends BrokerAdapterV1>(adapter: A): { adapter: A; idle(): Promise<void>; readonly inFlight: number } {
  let inFlight = 0;
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight++;
    return p.finally(() => {
      inFlight--;
    });
  };
  const wrapped = Object.create(adapter) as A;
  Object.assign(wrapped, {
    doRefresh: (input: Parameters<A['doRefresh']>[0]) => track(adapter.doRefresh(input)),
    ...(adapter.doValidate ? { doValidate: (input: Parameters<NonNullable<A['doValidate']>>[0]) => track(adapter.doValidate!(input)) } : {}),
  });
  return {
    adapter: wrapped,
    get inFlight() {
      return inFlight;
    },
    async idle() {
      // Twice: a settled refresh may start a probe (or the reverse) on its way out.
      for (let round = 0; round < 2; round++) {
        await waitFor(() => inFlight === 0, 'broker calls to settle');
        await new Promise((r) => setImmediate(r));
        await new Promise((r) => setTimeout(r, 1));
      }
    },
  };
}
