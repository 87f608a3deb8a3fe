import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { createMemoryTokenStore, createTokenManager, LoginRequiredError, Secret, type LoggerV1, type TokenManager } from '@tokens/core';
import { createFakeClock, createMockBrokerAdapter } from '@tokens/core/testing';
import { canaryCheck } from '@tokens/test-suite';
import { createFileAlertSink, createLoginLinks, routeAlerts } from '../src/index';
import { BOT_TOKEN, telegramHarness, type Harness } from './helpers/harnesses';
import type { HttpReceiver } from './helpers/receivers';

const LINK_SECRET = 'engine-test-link-secret-0123456789abcdef';
const REFRESH_TOKEN = 'rt-canary-refresh-token-5c2b9e8f1a7d';
const ACCESS_TOKEN = 'at-canary-access-token-3e9d1b7c6a0f';
const NEW_ACCESS_TOKEN = 'at-canary-after-login-8f2a6c4e1b9d';

let tg: Harness<HttpReceiver> | undefined;
let manager: TokenManager | undefined;
let dir: string | undefined;
afterEach(async () => {
  await manager?.stop();
  await tg?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  tg = manager = dir = undefined;
});

function captureLogger(): LoggerV1 & { lines: string[] } {
  const lines: string[] = [];
  const write = (level: string) => (obj: object, msg?: string) => void lines.push(JSON.stringify({ level, ...obj, msg }));
  return { lines, debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

it('engine → routed Telegram (retried after a 500) + file log; the one-tap link completes the login; no secret anywhere', async () => {
  const now = Date.UTC(2026, 0, 5, 3, 0);
  const clock = createFakeClock(now);
  const logger = captureLogger();
  tg = await telegramHarness({ clock });
  dir = mkdtempSync(join(tmpdir(), 'tokens-alerts-engine-'));
  const logPath = join(dir, 'alerts.jsonl');
  const links = createLoginLinks({ secret: LINK_SECRET, baseUrl: 'https://tokens.example.com', clock });
  const telegram = routeAlerts(tg.sink, { minSeverity: 'warning' });
  const adapter = createMockBrokerAdapter({
    broker: 'schwab',
    doRefresh: new LoginRequiredError({ broker: 'schwab', message: 'Schwab revoked the refresh token (invalid_grant).' }),
    doExchange: ({ now: t }) => ({ accessToken: new Secret(NEW_ACCESS_TOKEN), refreshToken: new Secret(REFRESH_TOKEN), issuedAt: t, expiresAt: t + 30 * 60_000 }),
  });
  const store = createMemoryTokenStore({ clock });
  await store.put('schwab-main', {
    broker: 'schwab',
    tokenSet: { accessToken: new Secret(ACCESS_TOKEN), refreshToken: new Secret(REFRESH_TOKEN), issuedAt: now - 20 * 60_000, expiresAt: now + 10 * 60_000 },
  }, { expectedVersion: 0 });
  manager = createTokenManager({
    store,
    clock,
    logger,
    alerts: [telegram, createFileAlertSink({ path: logPath })],
    loginLink: (id) => links.linkFor(id),
  });
  await manager.addAccount({ id: 'schwab-main', adapter });

  // Telegram is down for the first attempt; the engine retries it after 2 s.
  tg.receiver.fail('server-error');
  await manager.refresh('schwab-main', { force: true }).catch(() => undefined);
  await vi.waitFor(() => expect(manager!.alertStatus().find((s) => s.name === 'telegram')?.pending).toBe(1));
  expect(manager.alertStatus().find((s) => s.name === 'telegram')?.lastDelivery?.error).toBe('Telegram answered HTTP 500. Will retry.');
  await clock.advance(2_000);
  await vi.waitFor(() => expect(tg!.receiver.delivered).toHaveLength(1));

  const sent = tg.receiver.delivered[0]!.json as { text: string; reply_markup: { inline_keyboard: Array<Array<{ url: string }>> } };
  expect(sent.text).toContain('🔑');
  expect(sent.text).toContain('Schwab revoked the refresh token (invalid_grant).');
  const url = new URL(sent.reply_markup.inline_keyboard[0]![0]!.url);
  expect(url.pathname).toBe('/login/schwab-main');

  // What the daemon's /login/:account route and OAuth callback will do.
  expect(await links.verify('schwab-main', url.searchParams.get('s'))).toMatchObject({ ok: true });
  const state = links.oauthState('schwab-main');
  const authorize = new URL(await manager.authorizeUrl('schwab-main', { state, redirectUri: 'https://tokens.example.com/callback/schwab' }));
  const callback = { code: 'auth-code-1', state: authorize.searchParams.get('state')! };
  const checked = await links.verifyOAuthState(callback.state);
  expect(checked).toMatchObject({ ok: true, accountId: 'schwab-main' });
  const status = await manager.completeLogin(checked.ok ? checked.accountId : '', { callbackParams: callback });
  expect(status.state).toBe('valid');

  // The recovery is info: the file log gets it, the warning-and-up Telegram route does not.
  await vi.waitFor(() => expect(existsSync(logPath) && readFileSync(logPath, 'utf8').includes('refresh_recovered')).toBe(true));
  const logged = readFileSync(logPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string });
  expect(logged.map((l) => l.kind)).toEqual(['login_required', 'refresh_recovered']);
  // The engine asks accepts() first, so the filtered alert never reaches the channel at all.
  expect(telegram.stats()).toEqual({ delivered: 1, filtered: 0, rateLimited: 0 });
  expect(manager.alertStatus().map((s) => [s.name, s.failed])).toEqual([
    ['telegram', 0],
    ['file', 0],
  ]);

  const canaries = [BOT_TOKEN, LINK_SECRET, REFRESH_TOKEN, ACCESS_TOKEN, NEW_ACCESS_TOKEN];
  const bodies = tg.receiver.calls.map((c) => c.rawBody);
  expect(canaryCheck(canaries, ...logger.lines, manager.alertStatus(), readFileSync(logPath, 'utf8'), ...bodies)).toEqual([]);
});
