import { createLoginLinks } from '@tokens/alerts';
import { InvalidInputError, type AccountStatus, type ClockV1, type Secret, type TokenManager } from '@tokens/core';
import type { Context, Hono } from 'hono';
import type { Sessions } from './sessions';

export interface LoginRoutesOptions {
  manager: () => TokenManager;
  /** Signs OAuth states and one-tap links (≥ 32 characters, kept across restarts). */
  secret: Secret;
  /** Base URL humans reach the daemon at (links in alerts point here). */
  publicUrl: string;
  clock: ClockV1;
  sessions: Sessions;
  linkTtlMs?: number;
}

const page = (title: string, body: string, status: number) =>
  new Response(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title>` +
      `<style>body{font:16px system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}a{color:#0a58ca}</style></head>` +
      `<body><h1>${title}</h1><p>${body}</p><p><a href="/">Open the dashboard</a></p></body></html>`,
    { status, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } },
  );

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * Human logins through the daemon: one-tap links from alerts (`/login/:account?s=…`, signed,
 * single use, expiring), the broker's OAuth redirect back to `/oauth/callback`, and the headless
 * path (paste the redirected URL or request token).
 */
export function createLoginRoutes(o: LoginRoutesOptions) {
  const base = o.publicUrl.replace(/\/+$/, '');
  const links = createLoginLinks({ secret: o.secret, baseUrl: base, ttlMs: o.linkTtlMs ?? 30 * 60_000, clock: o.clock });
  const stateTtl = o.linkTtlMs ?? 30 * 60_000;

  const start = async (accountId: string) => {
    const manager = o.manager();
    const status = manager.status(accountId);
    if (!status.capabilities.interactiveLogin) {
      throw new InvalidInputError({ code: 'LOGIN_NOT_SUPPORTED', message: `${status.broker} logs in unattended; there is no browser login for ${accountId}.` });
    }
    const state = links.oauthState(accountId);
    const url = await manager.authorizeUrl(accountId, { state });
    return { account: accountId, broker: status.broker, kind: status.capabilities.interactiveLogin, url, expiresAt: o.clock.now() + stateTtl };
  };

  const complete = (accountId: string, input: { pasted: string } | { callbackParams: Record<string, string> }): Promise<AccountStatus> =>
    o.manager().completeLogin(accountId, input);

  const callback = async (c: Context) => {
    const params = Object.fromEntries(new URL(c.req.url).searchParams);
    // Signed, expiring and single use: a replayed or forged redirect changes nothing.
    const check = await links.verifyOAuthState(params.state);
    const expected = c.req.param('account');
    if (!check.ok || (expected !== undefined && check.accountId !== expected)) {
      const why = !check.ok && check.reason === 'expired' ? 'This login took too long and its link expired.' : !check.ok && check.reason === 'reused' ? 'This login response was already used.' : 'This login response was not started here or was altered.';
      return page('Login not completed', `${why} Start the login again from the dashboard or the latest alert.`, 400);
    }
    try {
      const status = await complete(check.accountId, { callbackParams: params });
      return c.redirect(`/?login=ok&account=${encodeURIComponent(status.accountId)}`, 303);
    } catch (error) {
      const message = error instanceof Error ? error.message : 'unknown error';
      return page('Login failed', `${escape(check.accountId)}: ${escape(message)}`, 502);
    }
  };

  const linkProblem = (reason: string) => {
    const reasons: Record<string, string> = {
      expired: 'This login link has expired.',
      reused: 'This login link was already used.',
      tampered: 'This login link is not valid.',
      'wrong-account': 'This login link belongs to another account.',
    };
    return page('Link not valid', `${reasons[reason] ?? 'This link is not valid.'} Nothing was changed. Use the newest alert or the dashboard.`, 400);
  };

  return {
    linkFor: (accountId: string): string | undefined => {
      try {
        return o.manager().status(accountId).capabilities.interactiveLogin ? links.linkFor(accountId) : undefined;
      } catch {
        return undefined;
      }
    },
    start,
    complete,
    sessionValid: (c: Context) => o.sessions.valid(c),
    csrfValid: (c: Context) => o.sessions.csrfValid(c),
    mount(app: Hono) {
      // GET only shows a button: chat apps and mail scanners open links before the human does,
      // so the link is spent by the POST the human's tap sends.
      app.get('/login/:account', async (c) => {
        const account = c.req.param('account');
        const s = c.req.query('s') ?? '';
        const check = await links.check(account, s);
        if (!check.ok) return linkProblem(check.reason);
        return page(
          `Log in to ${escape(account)}`,
          `<form method="post"><input type="hidden" name="s" value="${escape(s)}"><button type="submit" style="font-size:1.1rem;padding:.6rem 1.2rem">Continue to the broker's login</button></form>`,
          200,
        );
      });
      app.post('/login/:account', async (c) => {
        const account = c.req.param('account');
        const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
        const check = await links.verify(account, typeof form.s === 'string' ? form.s : '');
        if (!check.ok) return linkProblem(check.reason);
        try {
          const { url } = await start(account);
          return c.redirect(url, 303);
        } catch (error) {
          return page('Login could not start', escape(error instanceof Error ? error.message : 'unknown error'), 502);
        }
      });
      app.get('/oauth/callback', callback);
      app.get('/oauth/callback/:account', callback);
    },
  };
}

export type LoginRoutes = ReturnType<typeof createLoginRoutes>;
