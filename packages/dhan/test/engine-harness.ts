import { createMemoryTokenStore, createTokenManager, type AccountConfig, type TokenManager } from '@tokens/core';
import { createFakeClock, createMemoryAlertSink, type FakeClock, type MemoryAlertSink } from '@tokens/core/testing';
import type { RecordedRequest } from '@tokens/broker-utils/testing';
import { createDhan, type DhanAdapter, type DhanSettings } from '../src';
import { FAKE_DHAN_APP, FAKE_DHAN_CLIENT, startFakeDhan, type FakeDhanServer } from '../src/fake';
import { tracked } from './helpers';

export const ACCOUNT = 'dhan-main';

export interface TimedCall extends RecordedRequest {
  /** Fake-clock time when the test saw the request. */
  at: number;
}

export interface EngineHarness {
  clock: FakeClock;
  fake: FakeDhanServer;
  adapter: DhanAdapter;
  manager: TokenManager;
  alerts: MemoryAlertSink;
  /** Every request the fake received, stamped with the fake-clock time. */
  calls: TimedCall[];
  /** Waits until no broker call is in flight and stamps new calls. */
  idle(): Promise<void>;
  /** Registers the account (with the Dhan adapter) and waits for the startup refresh, if any. */
  add(config?: Partial<AccountConfig>, settings?: Partial<DhanSettings>): Promise<void>;
  /**
   * Moves the fake clock to `end` one timer at a time, letting real loopback HTTP finish after
   * each. `check` runs just before and just after every timer, so a gap in validity between two
   * engine events cannot go unnoticed.
   */
  runUntil(end: number, check?: (phase: 'before' | 'after') => Promise<void> | void): Promise<void>;
  stop(): Promise<void>;
}

export async function engineHarness(options: { start: number; settings: Partial<DhanSettings>; beforeAdd?: (h: { clock: FakeClock; fake: FakeDhanServer }) => Promise<Partial<DhanSettings>> | Partial<DhanSettings> }): Promise<EngineHarness> {
  const clock = createFakeClock(options.start);
  const fake = await startFakeDhan({ clock });
  const alerts = createMemoryAlertSink();
  const manager = createTokenManager({
    store: createMemoryTokenStore({ clock }),
    clock,
    alerts: [alerts],
    random: () => 0.5,
    loginLink: (id) => `http://127.0.0.1:7800/login/${id}`,
  });
  const calls: TimedCall[] = [];
  let seen = 0;
  const stamp = () => {
    for (; seen < fake.calls.length; seen++) calls.push({ ...fake.calls[seen]!, at: clock.now() });
  };
  let track: ReturnType<typeof tracked<DhanAdapter>> | undefined;
  let adapter: DhanAdapter | undefined;
  const idle = async () => {
    await track?.idle();
    stamp();
  };

  const h: EngineHarness = {
    clock,
    fake,
    get adapter() {
      return adapter!;
    },
    manager,
    alerts,
    calls,
    idle,
    async add(config = {}, settings = {}) {
      // beforeAdd prepares the first registration only; later calls change settings explicitly.
      const extra = options.beforeAdd && !adapter ? await options.beforeAdd({ clock, fake }) : {};
      adapter = createDhan({
        clientId: FAKE_DHAN_CLIENT.clientId,
        baseUrl: fake.url,
        authBaseUrl: fake.authUrl,
        environment: {},
        ...(options.settings as DhanSettings),
        ...extra,
        ...settings,
      });
      track = tracked(adapter);
      await manager.addAccount({ id: ACCOUNT, adapter: track.adapter, ...config });
      await idle();
    },
    async runUntil(end, check) {
      for (;;) {
        const next = clock.nextTimerAt();
        if (next === undefined || next > end) break;
        if (next > clock.now() + 1) {
          await clock.advanceTo(next - 1);
          await check?.('before');
        }
        await clock.advanceTo(Math.max(next, clock.now()));
        await idle();
        await check?.('after');
      }
      await clock.advanceTo(end);
      await idle();
    },
    async stop() {
      await manager.stop();
      await fake.close();
    },
  };
  return h;
}

export const totpSettings: Partial<DhanSettings> = { mode: 'totp', pin: FAKE_DHAN_CLIENT.pin, totpSecret: FAKE_DHAN_CLIENT.totpSecret };
export const consentSettings: Partial<DhanSettings> = { mode: 'consent', apiKey: FAKE_DHAN_APP.apiKey, apiSecret: FAKE_DHAN_APP.apiSecret };

export function callsTo(calls: readonly TimedCall[], path: string): TimedCall[] {
  return calls.filter((c) => c.path === path);
}
