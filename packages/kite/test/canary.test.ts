import { inspect } from 'node:util';
import { expect, it } from 'vitest';
import type { LoggerV1 } from '@tokens/core';
import { canaryCheck } from '@tokens/test-suite';
import { createKite, kiteLogout } from '../src';
import { startEngineRig } from './engine-helpers';
import { API_KEY, API_SECRET, ist, MIN, PASSWORD, sha256 } from './helpers';

function captureLogger(): LoggerV1 & { lines: string[] } {
  const lines: string[] = [];
  const write = (level: string) => (obj: object, msg?: string) => {
    lines.push(`${JSON.stringify({ level, ...obj, msg })}\n${inspect(obj, { depth: 8 })}`);
  };
  return { lines, debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

it('no secret (API secret, request/access/public/refresh tokens, enctoken, checksums, Authorization values) reaches logs, alerts, statuses, events, token-set JSON or errors', async () => {
  const logger = captureLogger();
  const rig = await startEngineRig({ start: ist(2026, 1, 5, 8, 50), logger });
  const outputs: unknown[] = [];
  rig.manager.on('change', (e) => outputs.push(e));
  rig.manager.on('state', (e) => outputs.push(e));
  rig.manager.on('alert', (e) => outputs.push(e));
  const capture = async (p: Promise<unknown>) => outputs.push(await p.catch((e: unknown) => e));
  try {
    // A login, a reused request token, a wrong secret and garbage pasted.
    const redirected = await rig.browserLogin();
    await rig.manager.completeLogin('kite-main', { pasted: redirected });
    await capture(rig.manager.completeLogin('kite-main', { pasted: redirected }));
    const wrongSecret = createKite({ apiKey: API_KEY, apiSecret: 'CANARY-wrong-secret-0a9b8c7d', baseUrl: rig.fake.url, environment: {} });
    const token = new URL(await rig.browserLogin()).searchParams.get('request_token')!;
    await capture(wrongSecret.login.doExchange({ accountId: 'k', callbackParams: { request_token: token }, signal: new AbortController().signal, now: rig.clock.now() }));
    await capture(rig.manager.completeLogin('kite-main', { pasted: `https://x.test/cb?status=success&oops=${token}` }));
    // Every fault mode during probes (driven by hand, so each mode meets exactly one probe and its
    // error is captured), then a master logout and a fresh login.
    for (const mode of ['server-error', 'rate-limit', 'reset', 'malformed'] as const) {
      rig.fake.fault(mode, { retryAfterSeconds: 1 });
      await capture(rig.manager.validate('kite-main'));
    }
    await rig.runTo(rig.clock.now() + 15 * MIN);
    rig.fake.fault('revoked');
    await capture(rig.manager.validate('kite-main'));
    await rig.manager.completeLogin('kite-main', { pasted: await rig.browserLogin() });
    rig.fake.masterLogout();
    await rig.runTo(rig.clock.now() + 30 * MIN);
    await rig.manager.completeLogin('kite-main', { pasted: await rig.browserLogin() });
    await rig.runTo(ist(2026, 1, 5, 9, 30));
    await rig.manager.completeLogin('kite-main', { callbackParams: Object.fromEntries(new URL(await rig.browserLogin()).searchParams) });
    await rig.runTo(ist(2026, 1, 6, 8, 50)); // the 06:00 rollover, probes and alerts
    await rig.manager.completeLogin('kite-main', { pasted: new URL(await rig.browserLogin()).searchParams.get('request_token')! });
    const tokenSet = await rig.manager.getTokenSet('kite-main');
    outputs.push(tokenSet, rig.manager.statusAll(), rig.sink.alerts, rig.kite, rig.kite.login);
    outputs.push(await kiteLogout({ apiKey: API_KEY, apiSecret: API_SECRET, baseUrl: rig.fake.url, environment: {} }, { tokenSet }));
    rig.fake.fault('server-error');
    await capture(rig.kite.revoke({ tokenSet }));
    await capture(rig.manager.withToken('kite-main', () => Promise.reject(Object.assign(new Error('order rejected'), { status: 500 }))));

    const canaries = [API_SECRET, PASSWORD, 'CANARY-wrong-secret-0a9b8c7d'];
    for (const s of rig.fake.sessions()) {
      canaries.push(s.accessToken, s.publicToken, s.enctoken, `${API_KEY}:${s.accessToken}`);
      if (s.refreshToken) canaries.push(s.refreshToken, sha256(API_KEY + s.refreshToken + API_SECRET));
    }
    for (const call of rig.fake.calls) {
      if (call.form?.request_token) canaries.push(call.form.request_token, call.form.checksum!);
      if (call.query.request_token) canaries.push(call.query.request_token);
    }
    expect(rig.fake.sessions().length).toBeGreaterThanOrEqual(3);
    expect(logger.lines.length).toBeGreaterThan(5);
    expect(rig.sink.alerts.length).toBeGreaterThan(0);
    expect(canaryCheck(canaries, ...outputs)).toEqual([]);
    const logText = logger.lines.join('\n');
    for (const c of canaries) expect(logText).not.toContain(c);
  } finally {
    await rig.close();
  }
});
