// Helpers for the dashboard's browser tests (apps/daemon/test/dashboard.e2e.test.ts): Debian's
// Chromium driven by playwright-core, a fresh profile per run, and a log of any request that
// tries to leave the machine. Lives here because playwright-core is a dependency of this package.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The built dashboard (`vite build`), which the daemon serves as its `staticDir`. */
export const DASHBOARD_DIST = join(root, 'dist');

/** Where the browser tests save screenshots (gitignored). */
export const ARTIFACTS_DIR = join(root, 'test-artifacts');

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Fails (never skips) with the fix when the build is missing. */
export function requireDashboardBuild(): string {
  if (!existsSync(join(DASHBOARD_DIST, 'index.html'))) {
    throw new Error(`The dashboard is not built (${DASHBOARD_DIST}/index.html is missing). Run \`pnpm --filter @tokens/dashboard build\`; turbo builds it before the daemon's tests.`);
  }
  return DASHBOARD_DIST;
}

/** Fails (never skips) with the fix when Chromium is missing. */
export function requireChromium(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(`Chromium is not installed at ${path}. Install Debian's package (\`apt-get install -y chromium\`; .ci/run does this) or set CHROMIUM_PATH.`);
  }
  return path;
}

export interface TestBrowser {
  context: BrowserContext;
  /** Every http(s) request the pages made to a host other than loopback. Must stay empty. */
  external: string[];
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Chromium with a throwaway profile, in India's time zone (the events view shows local time). */
export async function launchBrowser(): Promise<TestBrowser> {
  const executablePath = requireChromium();
  const profile = mkdtempSync(join(tmpdir(), 'tokens-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      timezoneId: 'Asia/Kolkata',
      locale: 'en-IN',
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw new Error(`Chromium at ${executablePath} did not start: ${(error as Error).message}`);
  }
  const external: string[] = [];
  context.on('request', (request) => {
    const url = new URL(request.url());
    if ((url.protocol === 'http:' || url.protocol === 'https:') && !LOOPBACK.has(url.hostname)) external.push(request.url());
  });
  return {
    context,
    external,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a screenshot of what the page shows now under test-artifacts/. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}
