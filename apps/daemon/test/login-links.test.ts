import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeClock } from '@tokens/core/testing';
import { startFakeKite, type FakeKiteServer } from '@tokens/kite/fake';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load';
import { startDaemon, type Daemon } from '../src/daemon';
import { freePort } from './helpers/daemon-process';

const dir = mkdtempSync(join(tmpdir(), 'tokens-links-'));
const clock = createFakeClock(Date.now());
let kite: FakeKiteServer;
let daemon: Daemon;
let base: string;

const alerts = () =>
  readFileSync(join(dir, 'alerts.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; action?: { url: string } });

const linkFromAlert = async () => {
  for (let i = 0; i < 100; i++) {
    try {
      const url = alerts().find((a) => a.action)?.action?.url;
      if (url) return url;
    } catch {
      // file not written yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('no alert with a login link');
};

const postLink = (link: string) => {
  const u = new URL(link);
  return fetch(`${base}${u.pathname}`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ s: u.searchParams.get('s')! }) });
};

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // Kite redirects to the URL registered for the app: the daemon's callback.
  kite = await startFakeKite({ apiKey: 'linkkite01', apiSecret: 'link-kite-secret', redirectUrl: `${base}/oauth/callback`, clock });
  const loaded = parseConfig(
    {
      store: { type: 'file', dir: './store' },
      http: { listen: `127.0.0.1:${port}`, apiToken: 'links-test-api-token-000000', publicUrl: base },
      alerts: [{ type: 'file', path: './alerts.jsonl' }],
      accounts: { kite: { broker: 'kite', apiKey: 'linkkite01', apiSecret: 'link-kite-secret', redirectUrl: `${base}/oauth/callback`, baseUrl: kite.url, loginUrl: kite.loginUrl } },
    },
    { baseDir: dir, environment: {} },
  );
  daemon = await startDaemon({ loaded, logger: pino({ level: 'silent' }), clock });
});

afterAll(async () => {
  await daemon?.stop();
  await kite?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('one-tap login links', () => {
  it('a link from an alert shows a button; the tap starts the broker login and the callback completes it', async () => {
    const link = await linkFromAlert();
    expect(link.startsWith(`${base}/login/kite?s=`)).toBe(true);
    // Opening the link (as chat apps do when previewing) spends nothing.
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Continue to the broker');
    const tap = await postLink(link);
    expect(tap.status).toBe(303);
    const authorize = tap.headers.get('location')!;
    expect(authorize.startsWith(kite.loginUrl)).toBe(true);
    // The human logs in at Kite; Kite redirects the browser back to the daemon.
    const redirect = await kite.browserLogin(authorize);
    const callback = await fetch(redirect, { redirect: 'manual' });
    expect(callback.status).toBe(303);
    expect(callback.headers.get('location')).toBe('/?login=ok&account=kite');
    expect(daemon.manager().status('kite')).toMatchObject({ state: 'valid', version: 1 });
    // The same callback again is refused: the OAuth state is single use.
    const replay = await fetch(redirect, { redirect: 'manual' });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('already used');
  });

  it('a reused, tampered or expired link shows a clear page and changes nothing', async () => {
    const link = await linkFromAlert();
    const reused = await postLink(link);
    expect(reused.status).toBe(400);
    expect(await reused.text()).toContain('This login link was already used.');
    const tampered = await fetch(link.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')));
    expect(tampered.status).toBe(400);
    expect(await tampered.text()).toContain('This login link is not valid.');
    const version = daemon.manager().status('kite').version;
    // A link minted by this daemon 31 minutes ago (links live 30 minutes).
    const { createLoginLinks } = await import('@tokens/alerts');
    const secret = readFileSync(join(dir, 'store', 'login-secret'), 'utf8').trim();
    const old = createLoginLinks({ secret, baseUrl: base, clock: { now: () => clock.now() - 31 * 60_000 } }).linkFor('kite');
    const expired = await fetch(old);
    expect(expired.status).toBe(400);
    expect(await expired.text()).toContain('This login link has expired.');
    expect(daemon.manager().status('kite').version).toBe(version);
  });
});
