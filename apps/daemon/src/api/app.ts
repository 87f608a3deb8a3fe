import { createMarketCalendar, InvalidInputError, Secret, TokensError, type TokenManager } from '@tokens/core';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { EventHub } from '../events';
import type { Metrics } from './metrics';
import { serveEvents, sseStreamCount } from './sse';
import { tokenStatus } from './token-status';
import type { LoginRoutes } from './login-routes';
import type { Sessions } from './sessions';
import { mountDashboard } from './dashboard-routes';

export interface ApiDeps {
  manager: () => TokenManager;
  events: EventHub;
  metrics: Metrics;
  apiToken: Secret;
  now: () => number;
  login: LoginRoutes;
  sessions: Sessions;
  /** Built dashboard files; served at `/` when present. */
  staticDir?: string;
  /** Lets humans sign in to the dashboard with a password instead of the API token. */
  dashboardPassword?: Secret;
  /** Extra status the daemon adds per account (sinks and their last delivery). */
  accountExtras: (accountId: string) => Record<string, unknown>;
  health: () => Promise<{ store: { ok: boolean; error?: string }; startedAt: number; version: string }>;
  heartbeatMs?: number;
}

const statusOf = (error: TokensError): 400 | 404 | 409 | 502 | 503 => {
  if (error.code === 'UNKNOWN_ACCOUNT') return 404;
  if (InvalidInputError.isInstance(error)) return 400;
  if (error.code === 'STORE_CONFLICT') return 409;
  if (error.needsHuman) return 409;
  return error.isRetryable ? 503 : 502;
};

function errorBody(error: unknown) {
  const e = TokensError.isInstance(error) ? error : new TokensError({ code: 'INTERNAL', message: 'Internal error.' });
  return { status: statusOf(e), body: { error: { code: e.code, message: e.message, isRetryable: e.isRetryable, needsHuman: e.needsHuman } } };
}

function memoryFigures() {
  const m = process.memoryUsage();
  return { rss_bytes: m.rss, heap_used_bytes: m.heapUsed, heap_total_bytes: m.heapTotal, external_bytes: m.external, array_buffers_bytes: m.arrayBuffers };
}

/** The daemon's HTTP API. Everything that reveals a token or changes state needs the API token. */
export function createApi(deps: ApiDeps): Hono {
  const app = new Hono();
  const calendar = createMarketCalendar();

  const authed: MiddlewareHandler = async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    const ok = (m && deps.apiToken.equals(m[1]!.trim())) || deps.login.sessionValid(c);
    if (!ok) return c.json({ error: { code: 'UNAUTHORIZED', message: 'Send Authorization: Bearer <api token>.' } }, 401);
    // Cookie sessions must also prove they come from our own pages (CSRF).
    if (!m && c.req.method !== 'GET' && !deps.login.csrfValid(c)) return c.json({ error: { code: 'CSRF', message: 'Missing or wrong X-CSRF-Token.' } }, 403);
    await next();
  };

  const fail = (c: Context, error: unknown) => {
    const { status, body } = errorBody(error);
    return c.json(body, status);
  };

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => {
    const health = await deps.health();
    const statuses = deps.manager().statusAll();
    // Ready = the store answers and every account is valid, busy, or knowingly waiting for a human.
    const notReady = statuses.filter((s) => s.state === 'missing' || s.state === 'expired');
    const ready = health.store.ok && notReady.length === 0;
    return c.json({ ready, store: health.store, waiting: notReady.map((s) => ({ account: s.accountId, state: s.state })) }, ready ? 200 : 503);
  });
  app.get('/metrics', async (c) => c.text(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType }));
  app.get('/api/token-status', (c) => c.json(tokenStatus(deps.manager().statusAll(), deps.now(), calendar, (id) => deps.login.linkFor(id))));
  app.get('/api/health/detailed', async (c) => {
    const health = await deps.health();
    const statuses = deps.manager().statusAll();
    return c.json({
      status: health.store.ok && statuses.every((s) => s.state !== 'expired') ? 'ok' : 'degraded',
      version: health.version,
      uptime_seconds: Math.round((deps.now() - health.startedAt) / 1000),
      memory: memoryFigures(),
      store: health.store,
      alerts: deps.manager().alertStatus(),
      refreshes: deps.manager().refreshQueue(),
      accounts: statuses.map((s) => ({ ...s, ...deps.accountExtras(s.accountId) })),
      // SSE streams share one hub listener; the rest are socket consumers and the daemon's own.
      subscribers: { sse: sseStreamCount(deps.events), listeners: deps.events.subscribers },
    });
  });

  app.use('/v1/*', authed);
  app.get('/v1/accounts', (c) => c.json({ accounts: deps.manager().statusAll().map((s) => ({ ...s, ...deps.accountExtras(s.accountId) })) }));
  app.get('/v1/accounts/:id', (c) => {
    try {
      const id = c.req.param('id');
      return c.json({ ...deps.manager().status(id), ...deps.accountExtras(id) });
    } catch (error) {
      return fail(c, error);
    }
  });
  app.get('/v1/accounts/:id/token', async (c) => {
    try {
      const id = c.req.param('id');
      const manager = deps.manager();
      const tokenSet = await manager.getTokenSet(id);
      const status = manager.status(id);
      const body: Record<string, unknown> = {
        account: id,
        broker: status.broker,
        version: status.version,
        accessToken: tokenSet.accessToken.reveal(),
        tokenType: tokenSet.tokenType ?? 'Bearer',
        expiresAt: tokenSet.expiresAt,
        issuedAt: tokenSet.issuedAt,
      };
      if (tokenSet.extras) body.extras = tokenSet.extras;
      if (tokenSet.secretExtras) body.secretExtras = Object.fromEntries(Object.entries(tokenSet.secretExtras).map(([k, v]) => [k, v.reveal()]));
      if (c.req.query('include') === 'refresh' && tokenSet.refreshToken) body.refreshToken = tokenSet.refreshToken.reveal();
      return c.json(body, 200, { 'cache-control': 'no-store' });
    } catch (error) {
      return fail(c, error);
    }
  });
  app.post('/v1/accounts/:id/refresh', async (c) => {
    try {
      return c.json(await deps.manager().refresh(c.req.param('id'), { force: true }));
    } catch (error) {
      return fail(c, error);
    }
  });
  app.post('/v1/accounts/:id/validate', async (c) => {
    try {
      const id = c.req.param('id');
      const result = await deps.manager().validate(id);
      return c.json({ result, status: deps.manager().status(id) });
    } catch (error) {
      return fail(c, error);
    }
  });
  app.post('/v1/accounts/:id/invalidate', async (c) => {
    try {
      const id = c.req.param('id');
      const body = (await c.req.json().catch(() => ({}))) as { accessToken?: unknown };
      deps.manager().invalidate(id, typeof body.accessToken === 'string' ? body.accessToken : undefined);
      return c.json(deps.manager().status(id));
    } catch (error) {
      return fail(c, error);
    }
  });
  app.post('/v1/accounts/:id/login', async (c) => {
    try {
      return c.json(await deps.login.start(c.req.param('id')));
    } catch (error) {
      return fail(c, error);
    }
  });
  app.post('/v1/accounts/:id/login/complete', async (c) => {
    try {
      const body = (await c.req.json().catch(() => ({}))) as { pasted?: unknown; callbackParams?: unknown };
      const id = c.req.param('id');
      const input =
        typeof body.pasted === 'string'
          ? { pasted: body.pasted }
          : body.callbackParams && typeof body.callbackParams === 'object'
            ? { callbackParams: Object.fromEntries(Object.entries(body.callbackParams as Record<string, unknown>).map(([k, v]) => [k, String(v)])) }
            : undefined;
      if (!input) throw new InvalidInputError({ field: 'pasted', message: 'Send { "pasted": "<redirected URL or request token>" }.' });
      return c.json(await deps.login.complete(id, input));
    } catch (error) {
      return fail(c, error);
    }
  });
  app.get('/v1/events', (c) => serveEvents(c, deps.events, deps.now, deps.heartbeatMs ?? 15_000));

  deps.login.mount(app);
  mountDashboard(app, deps);
  return app;
}
