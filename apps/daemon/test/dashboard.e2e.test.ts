// The dashboard in a real browser (Debian's headless Chromium via playwright-core) against a real
// sandbox daemon: five fake brokers on loopback, one account each. Needs the dashboard built
// (apps/dashboard/dist) and Chromium installed; without either every test here fails, with the fix.
// Screenshots go to apps/dashboard/test-artifacts/.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchBrowser, requireDashboardBuild, screenshot, type TestBrowser } from '../../dashboard/e2e/browser';
import { createLogger, startDaemon, startSandbox, type Daemon } from '../src/index';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

let sandbox: Sandbox | undefined;
let daemon: Daemon | undefined;
let browser: TestBrowser | undefined;
let page: Page;
let apiToken = '';
const seenTokens: string[] = [];
/** Console errors and uncaught exceptions of the dashboard (a CSP violation shows up here). */
const pageErrors: string[] = [];

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** The daemon's API as another consumer sees it (bearer token, no browser). */
async function api<T>(method: string, path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${daemon!.url}${path}`, { method, headers: { authorization: `Bearer ${apiToken}` } });
  return { status: res.status, body: (await res.json()) as T };
}

const card = (id: string) => page.locator(`article[data-account="${id}"]`);

/** Waits until the locator's text matches; on timeout says what the page showed instead. */
async function waitForText(locator: Locator, re: RegExp, timeout = 5_000): Promise<string> {
  const until = Date.now() + timeout;
  let text = '';
  while (Date.now() < until) {
    text = (await locator.first().textContent({ timeout: 1_000 }).catch(() => '')) ?? '';
    if (re.test(text)) return text;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`expected ${re} within ${timeout} ms, but it shows "${text}"`);
}

/** Waits until the card shows a token version ≥ `min`; returns it. */
async function waitForVersion(id: string, min: number, timeout: number): Promise<number> {
  const handle = await page.waitForFunction(
    ([sel, want]) => {
      const m = /v(\d+)/.exec(document.querySelector(sel as string)?.textContent ?? '');
      return m && Number(m[1]) >= (want as number) ? Number(m[1]) : false;
    },
    [`article[data-account="${id}"] [data-role="version"]`, min] as const,
    { timeout, polling: 50 },
  );
  return (await handle.jsonValue()) as number;
}

/** Reads the daemon's SSE stream like a bot would, until `match` accepts an event. */
async function waitForEvent(match: (e: Record<string, unknown>) => boolean, signal: AbortSignal): Promise<Record<string, unknown>> {
  const res = await fetch(`${daemon!.url}/v1/events`, { headers: { authorization: `Bearer ${apiToken}`, accept: 'text/event-stream' }, signal });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error('the event stream ended');
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const data = buffer.slice(0, end).split('\n').find((l) => l.startsWith('data:'))?.slice(5).trim();
      buffer = buffer.slice(end + 2);
      if (!data || !data.startsWith('{')) continue;
      const event = JSON.parse(data) as Record<string, unknown>;
      if (match(event)) {
        await reader.cancel().catch(() => undefined);
        return event;
      }
    }
  }
}

/** Why the setup failed (no build, no Chromium…): every test then fails with it, none is skipped. */
let setupError: unknown;

beforeAll(async () => {
  try {
    const staticDir = requireDashboardBuild();
    browser = await launchBrowser();
    sandbox = await startSandbox({ port: await freePort() });
    daemon = await startDaemon({ loaded: sandbox.loaded, logger: createLogger({ level: 'error', pretty: false }), staticDir, ...(sandbox.fetch ? { fetch: sandbox.fetch } : {}) });
    apiToken = daemon.apiToken.reveal();
    page = await browser.context.newPage();
    browser.context.setDefaultTimeout(5_000);
    page.on('pageerror', (error) => pageErrors.push(`uncaught: ${error.message}`));
    page.on('console', (m) => {
      // Chromium logs every HTTP error answer; the tests provoke some (401 before sign-in, 409 for
      // a refresh Kite cannot do, 400 for a bad paste). Anything else, such as a CSP refusal, counts.
      if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of \d+/.test(m.text())) pageErrors.push(m.text());
    });
  } catch (error) {
    setupError = error;
  }
}, 30_000);

beforeEach(() => {
  if (setupError) throw setupError;
});

afterAll(async () => {
  await browser?.close();
  await daemon?.stop();
  await sandbox?.close();
});

describe('dashboard in Chromium against the sandbox daemon', () => {
  it('without a session shows only the sign-in page, and refuses a wrong token', async () => {
    await page.goto(`${daemon!.url}/`);
    await page.getByRole('heading', { name: 'Sign in to tokens' }).waitFor();
    expect(await page.locator('article[data-account]').count()).toBe(0);
    expect((await fetch(`${daemon!.url}/v1/accounts`)).status).toBe(401);

    await page.locator('#secret').fill('not-the-api-token-0000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Wrong API token or password.');
    expect((await browser!.context.cookies()).filter((c) => c.name === 'tokens_session')).toEqual([]);
  });

  it('signs in with the API token (keyboard only) and shows every account, the markets and the deadlines', async () => {
    await page.locator('#secret').fill('');
    await page.locator('#secret').focus();
    await page.keyboard.type(apiToken);
    await page.keyboard.press('Enter');
    await page.locator('article[data-account]').nth(4).waitFor();
    const ids = await page.locator('article[data-account]').evaluateAll((els) => els.map((e) => e.getAttribute('data-account')));
    expect(ids.sort()).toEqual(['dhan-demo', 'fyers-demo', 'kite-demo', 'kotak-demo', 'schwab-demo']);

    const cookie = (await browser!.context.cookies()).find((c) => c.name === 'tokens_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    // Kite waits for its daily login: state in words, and when bots stop.
    const kite = card('kite-demo');
    await kite.locator('[data-role="state"]', { hasText: 'Login required' }).waitFor();
    expect(await kite.locator('[data-role="deadline"]').textContent()).toMatch(/^bots (stop \w{3}( \d+ \w{3})? \d\d:\d\d IST unless you log in|are stopped until you log in|stopped at .* IST: log in now)$/);
    // Schwab renews itself; its times are New York's.
    await card('schwab-demo').locator('[data-role="next-refresh"]', { hasText: /E[SD]T/ }).waitFor();
    for (const ex of ['NSE', 'NYSE']) {
      expect(await page.locator(`.market[data-exchange="${ex}"]`).textContent()).toMatch(/(Open|Pre-open|Closed|Holiday|Weekend).*(opens|closes) \w{3}/);
    }
    await screenshot(page, 'overview-1280x800');
  });

  it('a refresh made by another client shows on the card within 2 s (SSE)', async () => {
    const before = await waitForVersion('schwab-demo', 1, 5_000);
    const started = Date.now();
    const { status, body } = await api<{ version: number; state: string }>('POST', '/v1/accounts/schwab-demo/refresh');
    expect(status).toBe(200);
    expect(body.version).toBeGreaterThan(before);
    const shown = await waitForVersion('schwab-demo', body.version, 2_000);
    expect(shown).toBeGreaterThanOrEqual(body.version);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('Refresh now: shows progress, then the result, and the card takes the new token', async () => {
    const kotak = card('kotak-demo');
    const before = await waitForVersion('kotak-demo', 1, 10_000);
    const result = kotak.locator('[data-role="result"]');
    // Record every text the result line shows, to see the progress message go by.
    await result.evaluate((el) => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      new MutationObserver(() => seen.push(el.textContent ?? '')).observe(el, { childList: true, subtree: true, characterData: true });
    });
    await kotak.getByRole('button', { name: /^Refresh now/ }).click();
    const text = await waitForText(result, /^Refreshed: Valid, token v\d+, expires in /);
    const after = Number(/token v(\d+)/.exec(text)![1]);
    expect(after).toBeGreaterThan(before);
    expect(await page.evaluate(() => (window as unknown as { seen: string[] }).seen)).toContain('Refreshing…');
    await waitForVersion('kotak-demo', after, 2_000);

    // A broker that cannot renew says why, with the error code.
    const kite = card('kite-demo');
    await kite.getByRole('button', { name: /^Refresh now/ }).click();
    await waitForText(kite.locator('[data-role="result"]'), /^Refresh failed: [A-Z_]+: .+/);
  });

  it('the Kite daily login through the fake Kite login page ends with the card valid and consumers holding the new token', async () => {
    const stop = new AbortController();
    const tokenEvent = waitForEvent((e) => e.type === 'token' && e.accountId === 'kite-demo', stop.signal);
    const kiteOrigin = new URL(sandbox!.fakes.kite.loginUrl).origin;

    await card('kite-demo').getByRole('button', { name: /^Log in/ }).click();
    await page.waitForURL((u) => u.origin === kiteOrigin && u.pathname === '/connect/login');
    await page.getByLabel('User ID').fill(sandbox!.kiteUser.userId);
    await page.getByLabel('Password').fill(sandbox!.kiteUser.password);
    await page.getByRole('button', { name: 'Login' }).click();

    // Kite → the daemon's /oauth/callback → back to the dashboard.
    await page.waitForURL((u) => u.origin === daemon!.url && u.pathname === '/');
    await page.locator('.banner', { hasText: 'kite-demo: logged in' }).waitFor();
    await card('kite-demo').locator('[data-role="state"]', { hasText: 'Valid' }).waitFor({ timeout: 2_000 });
    expect(await card('kite-demo').locator('[data-role="deadline"]').textContent()).toMatch(/unless you log in$/);

    const event = await tokenEvent;
    stop.abort();
    const { status, body } = await api<{ accessToken: string; version: number }>('GET', '/v1/accounts/kite-demo/token');
    expect(status).toBe(200);
    expect(body.version).toBe(event.version);
    seenTokens.push(body.accessToken);
    // The env-file sink, as a bot reading .env would.
    const envFile = join(sandbox!.dir, 'sinks', 'kite.env');
    const envText = () => (existsSync(envFile) ? readFileSync(envFile, 'utf8') : '');
    for (let i = 0; i < 40 && !envText().includes(body.accessToken); i++) await new Promise((r) => setTimeout(r, 50));
    expect(envText()).toContain(`KITE_ACCESS_TOKEN=${body.accessToken}`);
    expect(await page.content()).not.toContain(body.accessToken);

    // And the broker accepts it: Validate probes Kite's profile endpoint.
    await card('kite-demo').getByRole('button', { name: /^Validate/ }).click();
    await waitForText(card('kite-demo').locator('[data-role="result"]'), /^Valid: the broker accepted the token\.$/);
  });

  it('the headless path: a login link opened elsewhere, then the redirected URL pasted back', async () => {
    const kite = card('kite-demo');
    const before = await waitForVersion('kite-demo', 1, 2_000);
    await kite.getByText('Log in from another device (paste)').click();

    // A wrong paste gets a clear error and changes nothing.
    await kite.getByLabel(/Paste the address the broker sent you to/).fill('https://example.invalid/nothing-here');
    await kite.getByRole('button', { name: 'Complete login' }).click();
    await waitForText(kite.locator('[data-role="result"]'), /^Login failed: [A-Z_]+: /);

    await kite.getByRole('button', { name: 'Get login link' }).click();
    const link = await kite.locator('[data-role="login-link"]').inputValue();
    expect(link.startsWith(sandbox!.fakes.kite.loginUrl)).toBe(true);

    // "Another device" that cannot reach the daemon: Kite's redirect back fails there, and the
    // human copies the address from the browser bar. (Routes only see a redirect's first URL, so
    // the redirect is read off Kite's answer to the login form.)
    const phone = await browser!.context.newPage();
    let redirected = '';
    await phone.route(
      (u) => u.pathname === '/connect/login',
      async (route) => {
        if (route.request().method() !== 'POST') return route.continue();
        const answer = await route.fetch({ maxRedirects: 0 });
        redirected = answer.headers().location ?? '';
        return route.fulfill({ status: 502, contentType: 'text/html; charset=utf-8', body: '<h1>This site can’t be reached</h1>' });
      },
    );
    await phone.goto(link);
    await phone.getByLabel('Password').fill(sandbox!.kiteUser.password);
    await phone.getByRole('button', { name: 'Login' }).click();
    await phone.getByRole('heading', { name: 'This site can’t be reached' }).waitFor();
    await phone.close();
    expect(redirected.startsWith(`${daemon!.url}/oauth/callback?`)).toBe(true);
    expect(redirected).toContain('request_token=');

    await kite.getByLabel(/Paste the address the broker sent you to/).fill(redirected);
    await kite.getByRole('button', { name: 'Complete login' }).click();
    await waitForText(kite.locator('[data-role="result"]'), /^Logged in: Valid, token v\d+/);
    await waitForVersion('kite-demo', before + 1, 2_000);
    const { body } = await api<{ accessToken: string }>('GET', '/v1/accounts/kite-demo/token');
    seenTokens.push(body.accessToken);
  });

  it('the events view lists token, state and alert events newest first, filters them, and shows no secret', async () => {
    await page.getByRole('link', { name: 'Events' }).click();
    await page.getByRole('heading', { name: 'Events' }).waitFor();
    const ids = await page.locator('li[data-id]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-id'))));
    expect(ids.length).toBeGreaterThan(5);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(await page.locator('li[data-type="token"][data-account="kite-demo"]').count()).toBeGreaterThanOrEqual(2);
    await screenshot(page, 'events-1280x800');

    for (const t of ['Token', 'Alert', 'Sink']) await page.getByRole('checkbox', { name: t }).uncheck();
    await page.getByRole('combobox', { name: 'Account' }).selectOption('kite-demo');
    const rows = page.locator('li[data-id]');
    const types = await rows.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-type')}:${e.getAttribute('data-account')}`));
    expect(new Set(types)).toEqual(new Set(['state:kite-demo']));
    expect(await rows.allTextContents()).toContainEqual(expect.stringContaining('→ Valid'));

    const html = await page.content();
    for (const secret of [...seenTokens, apiToken]) expect(html).not.toContain(secret);
    await page.getByRole('link', { name: 'Overview' }).click();
  });

  it('is keyboard usable: the skip link comes first, and Tab reaches the buttons of a card', async () => {
    await page.reload();
    await page.locator('article[data-account]').first().waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    const target = 'Refresh now: Kotak Neo (TOTP + MPIN)';
    let tabs = 0;
    while ((await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))) !== target) {
      if (++tabs > 80) throw new Error(`Tab never reached "${target}"`);
      await page.keyboard.press('Tab');
    }
    await page.keyboard.press('Enter');
    await waitForText(card('kotak-demo').locator('[data-role="result"]'), /^Refreshed: /);
  });

  it('works at phone width: one column, no sideways scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('article[data-account]').first().waitFor();
    const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, cards: [...document.querySelectorAll('article[data-account]')].map((e) => e.getBoundingClientRect().width) }));
    expect(widths.doc).toBeLessThanOrEqual(390);
    for (const w of widths.cards) expect(w).toBeLessThanOrEqual(390);
    await screenshot(page, 'overview-390x844');
    await page.setViewportSize({ width: 1280, height: 800 });
    await screenshot(page, 'overview-1280x800');
  });

  it('signs out: back to the sign-in page, and the old session is dead', async () => {
    const old = (await browser!.context.cookies()).find((c) => c.name === 'tokens_session')!;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to tokens' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to tokens' }).waitFor();
    const res = await fetch(`${daemon!.url}/v1/accounts`, { headers: { cookie: `tokens_session=${old.value}` } });
    expect(res.status).toBe(401);
  });

  it('made no request outside the machine, and the page logged no error', () => {
    expect(browser!.external).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
