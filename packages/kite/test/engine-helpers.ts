import { createMarketCalendar, createMemoryTokenStore, createTokenManager, type AccountStatus, type EscalationLevel, type LoggerV1, type TokenManager } from '@tokens/core';
import { createFakeClock, createMemoryAlertSink, type FakeClock, type MemoryAlertSink } from '@tokens/core/testing';
import { createKite, kiteReminders, type KiteAdapter } from '../src';
import { startFakeKite, type FakeKiteServer } from '../src/fake';
import { API_KEY, API_SECRET, PASSWORD } from './helpers';

export const LOGIN_LINK = 'https://tokens.example.com/login/kite-main';

export interface EngineRig {
  clock: FakeClock;
  fake: FakeKiteServer;
  kite: KiteAdapter;
  manager: TokenManager;
  sink: MemoryAlertSink;
  /** Fake-clock times of every probe (GET /user/profile) sent to the fake, in order. */
  probes: number[];
  /** Moves the fake clock to `target`, firing every timer on the way and waiting for the HTTP each one starts. */
  runTo(target: number): Promise<void>;
  /** Waits (real time, ≤ 2 s) until no request to the fake is in flight and the engine has settled. */
  settle(): Promise<void>;
  status(): AccountStatus;
  /** Plays the human: logs in on the fake's page and returns the URL Kite redirected to. */
  browserLogin(): Promise<string>;
  close(): Promise<void>;
}

/** The real engine (memory store, fake clock, memory alert sink, NSE calendar) driving the Kite adapter against its fake. */
export async function startEngineRig(o: {
  start: number;
  validateEveryMs?: number;
  firstReminderAt?: string;
  /** Replaces `kiteReminders()` as the account's escalation ladder. */
  escalation?: EscalationLevel[];
  approvedApp?: boolean;
  /** Leaves `market` off the account (no pre-open deadline). */
  noMarket?: boolean;
  logger?: LoggerV1;
}): Promise<EngineRig> {
  const clock = createFakeClock(o.start);
  const fake = await startFakeKite({ clock, apiKey: API_KEY, apiSecret: API_SECRET, redirectUrl: 'https://algo.example.com/kite/callback', refreshTokens: o.approvedApp ?? false, user: { password: PASSWORD } });
  let inflight = 0;
  const probes: number[] = [];
  const counting: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (new URL(url).pathname === '/user/profile') probes.push(clock.now());
    inflight++;
    try {
      const res = await fetch(input, init);
      // Count the request as in flight until its body has arrived too.
      await res.clone().arrayBuffer();
      return res;
    } finally {
      inflight--;
    }
  };
  const kite = createKite({ apiKey: API_KEY, apiSecret: API_SECRET, baseUrl: fake.url, loginUrl: fake.loginUrl, fetch: counting, timeoutMs: 2_000, useRefreshTokens: o.approvedApp ?? false, environment: {} });
  const sink = createMemoryAlertSink();
  const manager = createTokenManager({
    store: createMemoryTokenStore({ clock }),
    clock,
    alerts: [sink],
    calendar: createMarketCalendar(),
    loginLink: (id) => `https://tokens.example.com/login/${id}`,
    random: () => 0.5,
    ...(o.logger ? { logger: o.logger } : {}),
  });
  await manager.addAccount({
    id: 'kite-main',
    adapter: kite,
    ...(o.noMarket ? {} : { market: 'NSE' as const }),
    escalation: o.escalation ?? kiteReminders(o.firstReminderAt ? { firstAt: o.firstReminderAt } : {}),
    ...(o.validateEveryMs !== undefined ? { validateEveryMs: o.validateEveryMs } : {}),
  });

  async function settle(): Promise<void> {
    const until = Date.now() + 2_000;
    let quiet = 0;
    while (quiet < 3) {
      if (Date.now() > until) throw new Error(`settle(): ${inflight} request(s) still in flight after 2 s`);
      if (inflight > 0) await new Promise((r) => setTimeout(r, 1));
      else for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
      quiet = inflight === 0 ? quiet + 1 : 0;
    }
  }

  async function runTo(target: number): Promise<void> {
    for (;;) {
      await settle();
      const next = clock.nextTimerAt();
      if (next === undefined || next > target) break;
      await clock.advanceTo(Math.max(next, clock.now()));
    }
    if (target > clock.now()) await clock.advanceTo(target);
    await settle();
  }

  return {
    clock,
    fake,
    kite,
    manager,
    sink,
    probes,
    runTo,
    settle,
    status: () => manager.status('kite-main'),
    browserLogin: async () => fake.browserLogin(await manager.authorizeUrl('kite-main', { state: 'signed-state' }), { password: PASSWORD }),
    async close() {
      await manager.stop();
      await fake.close();
    },
  };
}
