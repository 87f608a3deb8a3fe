import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryTokenStore, createTokenManager, Secret, type LoggerV1, type TokenManager } from '@tokens/core';
import { createFakeClock, createMemoryAlertSink } from '@tokens/core/testing';
import { canaryCheck } from '@tokens/test-suite';
import { createDhan, type DhanSettings } from '../src';
import { startFakeDhan, type FakeDhanServer } from '../src/fake';
import { HOUR, START, tracked } from './helpers';

// Planted secrets must never reach a log line, an alert, an event, a status, an error or a
// serialised token set, whatever goes wrong.

const client = { clientId: '1100003626', pin: '739164', totpSecret: 'KRUGS4ZANFZSAYJAMNQW4YLSPEQHGZLDOJSXIIDLMV4SA5DP' };
const app = { apiKey: 'canary-api-key-5f1d0c2e9b7a', apiSecret: 'canary-api-secret-8e3b6a4d2c1f0e9a', clientId: client.clientId, redirectUrl: 'http://127.0.0.1:8765/callback' };

let fake: FakeDhanServer | undefined;
let manager: TokenManager | undefined;
afterEach(async () => {
  await manager?.stop();
  await fake?.close();
  fake = undefined;
  manager = undefined;
});

async function scenario(settingsOf: (fake: FakeDhanServer) => Partial<DhanSettings>, drive: (x: { fake: FakeDhanServer; manager: TokenManager; step: (ms: number) => Promise<void> }) => Promise<void>) {
  const clock = createFakeClock(START);
  fake = await startFakeDhan({ clock, clients: [client], apps: [app] });
  const settings = settingsOf(fake);
  const outputs: unknown[] = [];
  const log = (level: string) => (obj: object, msg?: string) => outputs.push(JSON.stringify({ level, ...obj, msg }));
  const logger: LoggerV1 = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  const alerts = createMemoryAlertSink();
  const m = createTokenManager({ store: createMemoryTokenStore({ clock }), clock, alerts: [alerts], logger, random: () => 0.5 });
  manager = m;
  for (const event of ['change', 'state', 'alert', 'refresh'] as const) m.on(event as 'change', (e) => outputs.push(e));
  const t = tracked(
    createDhan({ clientId: client.clientId, baseUrl: fake.url, authBaseUrl: fake.authUrl, environment: {}, ...settings } as DhanSettings),
  );
  await m.addAccount({ id: 'canary', adapter: t.adapter });
  await t.idle();
  const f = fake;
  const step = async (ms: number) => {
    const end = clock.now() + ms;
    for (let next = clock.nextTimerAt(); next !== undefined && next <= end; next = clock.nextTimerAt()) {
      await clock.advanceTo(next);
      await t.idle();
    }
    await clock.advanceTo(end);
    await t.idle();
  };
  await drive({ fake: f, manager: m, step });
  outputs.push(m.status('canary'), alerts.alerts);
  const stored = m.statusAll();
  outputs.push(stored);
  try {
    outputs.push(await m.getTokenSet('canary'));
  } catch (error) {
    outputs.push(error);
  }
  // Every token the fake ever issued, every TOTP code it received, and the configured secrets.
  const issued = f.calls.flatMap((c) => [c.headers['access-token'], c.query.totp, c.query.tokenId]).filter((v): v is string => typeof v === 'string');
  const active = f.activeToken()?.accessToken;
  const canaries = [client.pin, client.totpSecret, app.apiKey, app.apiSecret, ...issued, ...(active ? [active] : []), ...(settings.accessToken ? [(settings.accessToken as Secret).reveal()] : [])];
  return { outputs, canaries, alerts: alerts.alerts };
}

describe('canaries', () => {
  it('mode totp: renewals, 5xx, malformed bodies, resets and finally a revoked PIN leak nothing; alerts mask the client id', async () => {
    const { outputs, canaries, alerts } = await scenario(() => ({ mode: 'totp', pin: client.pin, totpSecret: client.totpSecret, apiKey: app.apiKey, apiSecret: app.apiSecret }), async ({ fake, step }) => {
      await step(17 * HOUR);
      fake.fault('server-error', { endpoint: 'generateAccessToken' });
      fake.fault('malformed', { endpoint: 'generateAccessToken' });
      fake.fault('reset', { endpoint: 'generateAccessToken' });
      fake.fault('revoked', { endpoint: 'generateAccessToken', times: Number.POSITIVE_INFINITY });
      await step(2 * HOUR);
    });
    expect(canaries.length).toBeGreaterThan(6);
    expect(alerts.map((a) => a.kind)).toEqual(['refresh_failed', 'invalid_credentials']);
    expect(canaryCheck(canaries, ...outputs)).toEqual([]);
    expect(JSON.stringify(alerts)).not.toContain(client.clientId);
    expect(JSON.stringify(alerts)).toContain('******3626');
  });

  it('mode renew: adoption, renewals and a broken chain leak neither the web token nor any renewed token', async () => {
    const { outputs, canaries, alerts } = await scenario(
      (f) => ({ mode: 'renew', accessToken: new Secret(f.issueToken({ source: 'web' }).accessToken) }),
      async ({ fake, step }) => {
        await step(20 * HOUR);
        fake.fault('rate-limit', { endpoint: 'RenewToken', retryAfterSeconds: 30 });
        fake.fault('server-error', { endpoint: 'RenewToken', times: Number.POSITIVE_INFINITY });
        await step(30 * HOUR);
      },
    );
    expect(alerts.map((a) => a.kind)).toContain('login_required');
    expect(canaries.length).toBeGreaterThan(3);
    expect(canaryCheck(canaries, ...outputs)).toEqual([]);
    expect(JSON.stringify(alerts)).not.toContain(client.clientId);
  });

  it('mode consent: logins, a spent tokenId and a wrong-secret consent leak no secret', async () => {
    const errors: unknown[] = [];
    const { outputs, canaries } = await scenario(
      () => ({ mode: 'consent', apiKey: app.apiKey, apiSecret: app.apiSecret }),
      async ({ fake, manager, step }) => {
        const url = await manager.authorizeUrl('canary', { state: 'st' });
        const redirected = await fake.browserLogin(url);
        await manager.completeLogin('canary', { pasted: redirected });
        await manager.completeLogin('canary', { pasted: redirected }).catch((e: unknown) => errors.push(e));
        await step(25 * HOUR);
        const wrong = createDhan({ mode: 'consent', clientId: client.clientId, apiKey: app.apiKey, apiSecret: 'wrong-secret-canary-77aa', authBaseUrl: fake.authUrl, environment: {} });
        await Promise.resolve(wrong.login!.authorizeUrl({ state: 's' })).catch((e: unknown) => errors.push(e));
      },
    );
    expect(errors).toHaveLength(2);
    expect(canaryCheck([...canaries, 'wrong-secret-canary-77aa'], ...outputs, ...errors)).toEqual([]);
  });
});
