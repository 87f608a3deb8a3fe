import { inspect } from 'node:util';
import { afterEach, expect, it } from 'vitest';
import { createMemoryTokenStore, createTokenManager, type TokenManager } from '@tokens/core';
import type { FakeFaultMode } from '@tokens/broker-utils/testing';
import { createFakeClock, createMemoryAlertSink } from '@tokens/core/testing';
import { canaryCheck } from '@tokens/test-suite';
import { createKotak, isKotakAuthError, kotakSession } from '../src';
import { startFakeKotak, type FakeKotak } from '../src/fake';
import { captureLogger, idle, ist } from './helpers';

// "Never logs password, consumer secret, MPIN, TOTP secret or JWT — with tests that prove it."
// Planted values: every credential, plus every token and sid the fake hands out during the run.
const credentials = {
  consumerKey: 'canary-consumer-key-7f3a9c1e5b2d4086a1c3e5f7',
  mobileNumber: '+919812345678',
  ucc: 'QK7ZP',
  totpSecret: 'KRUGS4ZANFZSAYJAONSWG4TFOQQGC3TE',
  mpin: '583920',
};

let fake: FakeKotak | undefined;
let manager: TokenManager | undefined;
afterEach(async () => {
  await manager?.stop();
  await fake?.close();
});

it('no credential, token, sid or JWT reaches logs, alerts, errors, status or token-set JSON; mobile and UCC only masked', async () => {
  const clock = createFakeClock(ist(2026, 1, 27, 8, 30));
  fake = await startFakeKotak({ clock, credentials });
  const logger = captureLogger();
  const sink = createMemoryAlertSink();
  manager = createTokenManager({ store: createMemoryTokenStore({ clock }), clock, logger, alerts: [sink], random: () => 0.5 });
  const m = manager;
  const settings = { ...credentials, loginBaseUrl: fake.url, timeoutMs: 200, environment: {} };
  const adapter = createKotak(settings);
  const outputs: unknown[] = [adapter];

  // A good day: startup login, bots reading limits, a session Kotak ends and a forced re-login.
  await m.addAccount({ id: 'kotak', adapter });
  await idle(m, 'kotak');
  const read = async (token: string) => {
    const { baseUrl, headers } = kotakSession(await m.getTokenSet('kotak'));
    const res = await fetch(`${baseUrl}/quick/user/limits`, { method: 'POST', headers: { ...headers, Auth: token } });
    if (res.status !== 200) throw Object.assign(new Error(`HTTP ${res.status}`), { status: res.status, body: await res.json() });
    return res.json();
  };
  outputs.push(await m.withToken('kotak', read, { isAuthError: isKotakAuthError }));
  fake.expireSessions();
  outputs.push(await m.withToken('kotak', read, { isAuthError: isKotakAuthError }));
  outputs.push(await m.getTokenSet('kotak'), await m.validate('kotak'));

  // A bad day: every fault Kotak can throw at a login, each surfaced through the engine.
  const modes: FakeFaultMode[] = ['server-error', 'rate-limit', 'reset', 'timeout', 'malformed', 'revoked'];
  for (const mode of modes) {
    fake.fault(mode);
    outputs.push(await m.refresh('kotak', { force: true }).catch((e: unknown) => e));
  }
  // Wrong MPIN and wrong TOTP through their own managers, plus direct adapter errors.
  for (const wrong of [{ mpin: '000000' }, { totpSecret: 'JBSWY3DPEHPK3PXP' }]) {
    const other = createTokenManager({ store: createMemoryTokenStore({ clock }), clock, logger, alerts: [sink] });
    const bad = createKotak({ ...settings, ...wrong });
    await other.addAccount({ id: 'kotak-wrong', adapter: bad });
    await idle(other, 'kotak-wrong');
    outputs.push(other.statusAll(), await other.getAccessToken('kotak-wrong').catch((e: unknown) => e));
    outputs.push(await bad.doRefresh({ accountId: 'x', signal: new AbortController().signal, now: clock.now() }).catch((e: unknown) => e));
    await other.stop();
  }
  outputs.push(m.statusAll(), sink.alerts, logger.lines);

  // Everything the fake handed out during the run is a canary too.
  const issued = fake.calls.flatMap((c) => [c.headers.auth, c.headers.sid]).filter((v): v is string => typeof v === 'string');
  expect(issued.length).toBeGreaterThan(6);
  const secrets = [credentials.consumerKey, credentials.totpSecret, credentials.mpin, ...issued];

  expect(logger.lines.length).toBeGreaterThan(10);
  expect(sink.alerts.map((a) => a.kind)).toEqual(expect.arrayContaining(['invalid_credentials', 'refresh_failed']));
  expect(canaryCheck(secrets, ...outputs)).toEqual([]);
  expect(canaryCheck([credentials.mobileNumber, credentials.ucc], ...outputs)).toEqual([]);
  // The humans still see which account is meant.
  const invalid = sink.alerts.find((a) => a.kind === 'invalid_credentials')!;
  expect(invalid.message).toContain('QK*** (+91******5678)');
});

it('settings errors and the adapter object never show a credential', () => {
  const bad = { ...credentials, mpin: '58392O', environment: {} }; // a letter O in the MPIN
  const error = (() => {
    try {
      createKotak(bad);
    } catch (e) {
      return e;
    }
  })();
  expect(error).toMatchObject({ code: 'INVALID_CONFIG' });
  const adapter = createKotak({ ...credentials, environment: {} });
  const leaks = canaryCheck([credentials.consumerKey, credentials.totpSecret, credentials.mpin, '58392O', credentials.mobileNumber, credentials.ucc], error, adapter, inspect(adapter, { showHidden: true, depth: 5 }));
  expect(leaks).toEqual([]);
});
