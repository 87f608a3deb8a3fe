import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';
import type { Context, Hono } from 'hono';
import type { ApiDeps } from './app';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The page may load and talk to nothing but this daemon: no CDN, no fonts from elsewhere, no
 * framing (clickjacking of the action buttons). Navigating to a broker's login page is a
 * top-level navigation, which this policy does not restrict.
 */
const PAGE_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** Paths that belong to the API: never answered with the page, even when unknown. */
const API_PREFIXES = ['/v1/', '/api/', '/auth/', '/oauth/', '/login/'];

/** Failed sign-ins allowed per client address and window before answering 429. */
const SIGN_IN_FAILURES = 10;
const SIGN_IN_WINDOW_MS = 5 * 60_000;

const clientAddress = (c: Context): string => (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress ?? 'unknown';

/**
 * Dashboard sessions (`/auth/session`) and the dashboard's static files. The session is an
 * httpOnly SameSite=Strict cookie; the page sends the CSRF token on every mutating request.
 */
export function mountDashboard(app: Hono, deps: ApiDeps): void {
  const failures = new Map<string, { count: number; since: number }>();

  app.post('/auth/session', async (c) => {
    c.header('cache-control', 'no-store');
    const who = clientAddress(c);
    const now = deps.now();
    if (failures.size > 1_000) for (const [k, v] of failures) if (now - v.since > SIGN_IN_WINDOW_MS) failures.delete(k);
    const seen = failures.get(who);
    if (seen && now - seen.since > SIGN_IN_WINDOW_MS) failures.delete(who);
    const recent = failures.get(who);
    if (recent && recent.count >= SIGN_IN_FAILURES) {
      const retry = Math.ceil((recent.since + SIGN_IN_WINDOW_MS - now) / 1000);
      c.header('retry-after', String(Math.max(1, retry)));
      return c.json({ error: { code: 'TOO_MANY_ATTEMPTS', message: `Too many failed sign-ins from this address. Try again in ${Math.max(1, Math.ceil(retry / 60))} min.` } }, 429);
    }
    const body = (await c.req.json().catch(() => ({}))) as { token?: unknown; password?: unknown };
    const token = typeof body.token === 'string' ? body.token : undefined;
    const password = typeof body.password === 'string' ? body.password : undefined;
    const ok = (token !== undefined && deps.apiToken.equals(token)) || (password !== undefined && deps.dashboardPassword?.equals(password) === true);
    if (!ok) {
      failures.set(who, { count: (recent?.count ?? 0) + 1, since: recent?.since ?? now });
      return c.json({ error: { code: 'UNAUTHORIZED', message: 'Wrong API token or password.' } }, 401);
    }
    failures.delete(who);
    const session = deps.sessions.create();
    c.header('set-cookie', session.cookie);
    return c.json({ authenticated: true, csrf: session.csrf });
  });
  app.get('/auth/session', (c) => {
    const csrf = deps.sessions.csrf(c);
    c.header('cache-control', 'no-store');
    return csrf ? c.json({ authenticated: true, csrf }) : c.json({ authenticated: false }, 401);
  });
  app.delete('/auth/session', (c) => {
    if (deps.sessions.valid(c) && !deps.sessions.csrfValid(c)) return c.json({ error: { code: 'CSRF', message: 'Missing or wrong X-CSRF-Token.' } }, 403);
    c.header('set-cookie', deps.sessions.destroy(c));
    return c.json({ authenticated: false });
  });

  const dir = deps.staticDir ? resolve(deps.staticDir) : undefined;
  if (!dir || !existsSync(resolve(dir, 'index.html'))) return;

  app.get('*', (c) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(c.req.url).pathname);
    } catch {
      return c.json({ error: { code: 'BAD_PATH', message: 'The path is not valid percent-encoding.' } }, 400);
    }
    if (API_PREFIXES.some((p) => path.startsWith(p))) {
      return c.json({ error: { code: 'NOT_FOUND', message: `No such endpoint: ${c.req.method} ${path.slice(0, 200)}` } }, 404);
    }
    // Resolved against the folder and kept inside it: no `..` or encoded-slash escapes.
    const file = resolve(dir, `.${path}`);
    if (file.startsWith(dir + sep) && extname(file) && existsSync(file) && statSync(file).isFile()) {
      // Vite names built assets by content hash: they never change under the same name.
      const cache = path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'public, max-age=3600';
      return new Response(readFileSync(file), { headers: { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': cache, 'x-content-type-options': 'nosniff' } });
    }
    if (extname(path) && path.startsWith('/assets/')) return c.text('Not found', 404);
    // The single-page app for every other path: it shows only the sign-in form until a session
    // exists. Read per request (it is small) so a rebuilt dashboard is picked up.
    return new Response(readFileSync(resolve(dir, 'index.html')), { headers: { 'content-type': TYPES['.html']!, 'cache-control': 'no-store', ...PAGE_HEADERS } });
  });
}
