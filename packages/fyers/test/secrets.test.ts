import { inspect } from 'node:util';
import { afterEach, expect, it } from 'vitest';
import { createMemoryTokenStore, createTokenManager, type LoggerV1 } from '@tokens/core';
import { createFakeClock, createMemoryAlertSink } from '@tokens/core/testing';
import { fyersAppIdHash } from '@tokens/broker-utils';
import { canaryCheck } from '@tokens/test-suite';
import { createFyers } from '../src';
import { startFakeFyers, type FakeFyersFaultMode, type FakeFyersServer } from '../src/fake';
import { ist, rejection, signal, tokenSetOf } from './helpers';

const APP_ID = 'CANARY0001-100';
const APP_SECRET = 'canary-secret-9f2c7d41e8';
const PIN = '9753';
const HASH = fyersAppIdHash(APP_ID, APP_SECRET).reveal();

let fake: FakeFyersServer | undefined;
afterEach(() => fake?.close());

/** The PIN is short: look for it as a whole number, not inside epoch timestamps. */
const pinLeaks = (text: string) => new RegExp(`(?<![0-9])${PIN}(?![0-9])`).test(text);

it('no app secret, appIdHash, PIN, access/refresh token or auth code leaks into errors, token sets, status, alerts or engine logs', async () => {
  const clock = createFakeClock(ist('2026-01-05T10:00'));
  fake = await startFakeFyers({ clock, appId: APP_ID, appSecret: APP_SECRET, pin: PIN });
  const adapter = createFyers({ appId: APP_ID, appSecret: APP_SECRET, pin: PIN, redirectUri: 'https://127.0.0.1/cb', baseUrl: fake.url, timeoutMs: 300, environment: {} });
  const canaries = [APP_SECRET, HASH];
  const outputs: unknown[] = [];

  // 1. Every fault of every call, as thrown.
  const session = fake.issueSession();
  canaries.push(session.accessToken, session.refreshToken);
  const current = tokenSetOf(session);
  const modes: FakeFyersFaultMode[] = ['server-error', 'rate-limit', 'reset', 'timeout', 'malformed', 'revoked', 'wrong-pin', 'refresh-expired'];
  for (const mode of modes) {
    fake.fault(mode);
    outputs.push(await rejection(adapter.doRefresh({ accountId: 'a', current, signal: signal(), now: clock.now() })));
    if (mode === 'wrong-pin' || mode === 'refresh-expired') continue;
    fake.fault(mode);
    outputs.push(await adapter.doValidate({ accountId: 'a', tokenSet: current, signal: signal(), now: clock.now() }).catch((e: unknown) => e));
  }
  const redirected = await fake.browserLogin(await adapter.login.authorizeUrl({ state: 's' }));
  const params = adapter.login.parsePasted(redirected);
  canaries.push(params.auth_code!);
  fake.fault('malformed');
  outputs.push(await rejection(adapter.login.doExchange({ accountId: 'a', callbackParams: params, signal: signal(), now: clock.now() })));
  const loggedIn = await adapter.login.doExchange({ accountId: 'a', callbackParams: params, signal: signal(), now: clock.now() });
  canaries.push(loggedIn.accessToken.reveal(), loggedIn.refreshToken!.reveal());
  outputs.push(loggedIn);
  outputs.push(await rejection(adapter.login.doExchange({ accountId: 'a', callbackParams: params, signal: signal(), now: clock.now() }))); // used code
  outputs.push(await rejection(() => createFyers({ appId: APP_ID, appSecret: APP_SECRET, pin: `${PIN}x`, redirectUri: 'nope', environment: {} })));

  // 2. Renewed and logged-in token sets, and the adapter itself.
  const renewed = await adapter.doRefresh({ accountId: 'a', current, signal: signal(), now: clock.now() });
  canaries.push(renewed.accessToken.reveal());
  outputs.push(renewed, adapter);

  // 3. The engine around it: logs, alerts, status, through a login, refreshes and a wrong PIN.
  const lines: string[] = [];
  const log = (level: string) => (obj: object, msg?: string) => lines.push(JSON.stringify({ level, ...obj, msg }));
  const logger: LoggerV1 = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  const alerts = createMemoryAlertSink();
  const manager = createTokenManager({ store: createMemoryTokenStore({ clock }), clock, alerts: [alerts], logger, random: () => 0 });
  await manager.addAccount({ id: 'fyers-canary', adapter });
  const login = await fake.browserLogin(await manager.authorizeUrl('fyers-canary', { state: 'st' }));
  canaries.push(adapter.login.parsePasted(login).auth_code!);
  await manager.completeLogin('fyers-canary', { pasted: login });
  canaries.push(await manager.getAccessToken('fyers-canary'));
  fake.fault('wrong-pin');
  await manager.refresh('fyers-canary', { force: true }).catch(() => undefined);
  outputs.push(manager.statusAll(), alerts.alerts);
  await manager.stop();

  expect(canaryCheck(canaries, ...outputs, lines)).toEqual([]);
  const rendered = [...outputs.map((o) => inspect(o, { depth: 8 })), ...outputs.map((o) => JSON.stringify(o) ?? ''), ...lines];
  for (const error of outputs.filter((o): o is Error => o instanceof Error)) rendered.push(error.message, error.stack ?? '', String(error.cause ?? ''));
  expect(rendered.filter(pinLeaks)).toEqual([]);
  // The checks saw real content: errors of every kind and engine logs.
  expect(lines.length).toBeGreaterThan(3);
  expect(outputs.filter((o) => o instanceof Error).length).toBeGreaterThanOrEqual(13);
});
