import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSystemClock, type ClockV1 } from '@tokens/core';
import { safeEqual, sha256Hex } from '@tokens/broker-utils';
import {
  sendHtml,
  sendJson,
  startLoopbackServer,
  type FakeBrokerServer,
  type FakeFaultMode,
  type FakeFaultOptions,
  type RecordedRequest,
} from '@tokens/broker-utils/testing';
import {
  errorBody,
  LOGOUT_BODY,
  profileBody,
  REQUEST_TOKEN_REJECTED,
  sessionBody,
  TOKEN_REJECTED,
  type FakeKiteUser,
  type KiteErrorType,
} from './fake-kite-bodies';
import { errorPage, loginPage } from './fake-kite-login-page';
import { FakeKiteState, formatKiteTime, type FakeKiteSession } from './fake-kite-state';

export interface FakeKiteApp {
  apiKey: string;
  apiSecret: string;
  /** Where the login page redirects (the URL registered on developers.kite.trade). */
  redirectUrl: string;
  /** Zerodha approved this app for refresh tokens: sessions carry a non-empty `refresh_token`. Default false. */
  refreshTokens?: boolean;
}

export interface FakeKiteOptions {
  /** Times request tokens and the 06:00 IST expiry. Default: the system clock. */
  clock?: ClockV1;
  /** Port on 127.0.0.1. Default 0 (a free port); fix it for a stable login URL (sandbox). */
  port?: number;
  /** The registered apps. Default: one app built from `apiKey` / `apiSecret` / `redirectUrl` / `refreshTokens`. */
  apps?: FakeKiteApp[];
  apiKey?: string;
  apiSecret?: string;
  redirectUrl?: string;
  refreshTokens?: boolean;
  /** The one user who can log in. */
  user?: Partial<FakeKiteUser>;
  /** How long a request token can be exchanged. Default 5 minutes ("a few minutes", single use). */
  requestTokenTtlMs?: number;
  /** Answer 400 when `X-Kite-Version: 3` is missing (the real API tolerates it). Default true. */
  requireVersionHeader?: boolean;
}

export interface FakeKiteFailure {
  status: number;
  errorType: KiteErrorType | (string & {});
  message: string;
  /** How many API requests get this answer. Default 1. */
  times?: number;
  headers?: Record<string, string>;
}

/** The FakeBrokerServer shape plus Kite specifics. */
export interface FakeKiteServer extends FakeBrokerServer {
  readonly broker: 'kite';
  /** `${url}/connect/login`: pass it as the adapter's `loginUrl`. */
  readonly loginUrl: string;
  readonly apps: readonly FakeKiteApp[];
  readonly user: Readonly<FakeKiteUser>;
  /** Plays the human at the login page; returns the URL Kite redirects the browser to. */
  browserLogin(authorizeUrl: string, credentials?: { userId?: string; password?: string }): Promise<string>;
  /** A request token as if the user had just logged in (no HTTP). */
  issueRequestToken(apiKey?: string): string;
  /** A live session as if a human had logged in and exchanged earlier (no HTTP). */
  mintSession(apiKey?: string): FakeKiteSession;
  /** Kills one access token, like `DELETE /session/token`. */
  invalidate(accessToken: string, apiKey?: string): boolean;
  /** Kills every live session of the user, like a logout on Kite web. */
  masterLogout(userId?: string): number;
  /** Is this access token accepted right now? */
  isActive(accessToken: string, apiKey?: string): boolean;
  /** Every session minted so far (copies). */
  sessions(): FakeKiteSession[];
  /** Answers the next API request(s) with a Kite error envelope of your choice. */
  failNext(failure: FakeKiteFailure): void;
}

const DEFAULT_USER: FakeKiteUser = {
  userId: 'AB1234',
  password: 'fake-kite-password',
  userName: 'Kite Connect',
  userShortname: 'Connect',
  email: 'kite.user@example.com',
};

type Queued = { kind: 'fault'; mode: FakeFaultMode; times: number; retryAfterSeconds?: number } | { kind: 'failure'; failure: FakeKiteFailure; times: number };

/**
 * Starts a wire-exact local fake of Kite Connect's auth surface on 127.0.0.1: the login page,
 * `POST /session/token`, `POST /session/refresh_token`, `GET /user/profile` and
 * `DELETE /session/token`, with sessions dying at 06:00 IST by the injected clock.
 */
export async function startFakeKite(options: FakeKiteOptions = {}): Promise<FakeKiteServer> {
  const clock = options.clock ?? createSystemClock();
  const apps: FakeKiteApp[] = options.apps ?? [
    {
      apiKey: options.apiKey ?? 'fakekiteapikey01',
      apiSecret: options.apiSecret ?? 'fake-kite-api-secret',
      redirectUrl: options.redirectUrl ?? 'http://127.0.0.1:8765/callback',
      refreshTokens: options.refreshTokens ?? false,
    },
  ];
  if (apps.length === 0) throw new Error('startFakeKite needs at least one app.');
  const user: FakeKiteUser = { ...DEFAULT_USER, ...options.user };
  const state = new FakeKiteState(clock, options.requestTokenTtlMs ?? 5 * 60_000);
  const requireVersion = options.requireVersionHeader ?? true;
  const queue: Queued[] = [];
  const hanging = new Set<ServerResponse>();
  const appOf = (apiKey: string | undefined) => apps.find((a) => a.apiKey === apiKey);
  const defaultKey = apps[0]!.apiKey;

  const sessionJson = (s: FakeKiteSession) =>
    sessionBody({ user, apiKey: s.apiKey, accessToken: s.accessToken, publicToken: s.publicToken, enctoken: s.enctoken, refreshToken: s.refreshToken, loginTime: formatKiteTime(s.loginTime) });

  /** Applies the next queued fault or failure; true when the request was answered (or dropped). */
  function injected(req: IncomingMessage, res: ServerResponse): boolean {
    const next = queue[0];
    if (!next) return false;
    if (--next.times <= 0) queue.shift();
    if (next.kind === 'failure') {
      const f = next.failure;
      sendJson(res, f.status, errorBody(f.errorType, f.message), f.headers ?? {});
      return true;
    }
    switch (next.mode) {
      case 'server-error':
        sendJson(res, 500, errorBody('GeneralException', 'Something went wrong. Please try again later.'));
        return true;
      case 'rate-limit':
        // [INF] Kite documents 429 for rate limits; the error_type of its body is not documented.
        sendJson(res, 429, errorBody('NetworkException', 'Too many requests'), next.retryAfterSeconds === undefined ? {} : { 'retry-after': String(next.retryAfterSeconds) });
        return true;
      case 'reset':
        req.socket.resetAndDestroy();
        return true;
      case 'timeout':
        hanging.add(res); // never answered; close() ends it
        return true;
      case 'malformed': {
        const text = '{"status":"success","data":{"user_type":"individual","email":';
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
        res.end(text);
        return true;
      }
      case 'revoked':
        sendJson(res, 403, TOKEN_REJECTED);
        return true;
    }
  }

  function bearer(request: RecordedRequest): { apiKey: string; accessToken: string } | undefined {
    const header = request.headers.authorization;
    const m = typeof header === 'string' ? /^token ([^:\s]+):(\S+)$/.exec(header) : null;
    return m ? { apiKey: m[1]!, accessToken: m[2]! } : undefined;
  }

  function checksumOk(app: FakeKiteApp, token: string, checksum: string | undefined): boolean {
    return typeof checksum === 'string' && safeEqual(checksum.toLowerCase(), sha256Hex(app.apiKey, token, app.apiSecret));
  }

  function sessionToken(res: ServerResponse, form: Record<string, string>): void {
    const app = appOf(form.api_key);
    if (!form.api_key || !form.request_token || !form.checksum) {
      const missing = ['api_key', 'request_token', 'checksum'].find((k) => !form[k]);
      return sendJson(res, 400, errorBody('InputException', `Missing \`${missing}\`.`));
    }
    if (!app) return sendJson(res, 400, errorBody('InputException', 'Invalid `api_key`.'));
    if (!checksumOk(app, form.request_token, form.checksum)) return sendJson(res, 400, errorBody('InputException', 'Invalid `checksum`.'));
    const { check, entry } = state.consumeRequestToken(form.request_token, app.apiKey);
    if (check !== 'ok') return sendJson(res, 403, REQUEST_TOKEN_REJECTED);
    const session = state.mint({ apiKey: app.apiKey, userId: entry!.userId, loginTime: entry!.issuedAt, refreshToken: app.refreshTokens === true });
    sendJson(res, 200, sessionJson(session));
  }

  function refreshToken(res: ServerResponse, form: Record<string, string>): void {
    const app = appOf(form.api_key);
    if (!form.api_key || !form.refresh_token || !form.checksum) {
      const missing = ['api_key', 'refresh_token', 'checksum'].find((k) => !form[k]);
      return sendJson(res, 400, errorBody('InputException', `Missing \`${missing}\`.`));
    }
    if (!app) return sendJson(res, 400, errorBody('InputException', 'Invalid `api_key`.'));
    if (!checksumOk(app, form.refresh_token, form.checksum)) return sendJson(res, 400, errorBody('InputException', 'Invalid `checksum`.'));
    const owner = app.refreshTokens ? state.refreshOwner(app.apiKey, form.refresh_token) : undefined;
    if (!owner) return sendJson(res, 403, errorBody('TokenException', 'Invalid refresh token.'));
    const session = state.mint({ apiKey: app.apiKey, userId: owner.userId, refreshToken: form.refresh_token });
    sendJson(res, 200, sessionJson(session));
  }

  function logout(res: ServerResponse, request: RecordedRequest): void {
    const { api_key: apiKey, access_token: accessToken, refresh_token: rt } = request.query;
    if (!apiKey || (!accessToken && !rt)) return sendJson(res, 400, errorBody('InputException', 'Missing `api_key` or `access_token`.'));
    const done = accessToken ? state.revokeAccess(apiKey, accessToken) : state.revokeRefresh(apiKey, rt!);
    if (!done) return sendJson(res, 403, TOKEN_REJECTED);
    sendJson(res, 200, LOGOUT_BODY);
  }

  function loginGet(res: ServerResponse, request: RecordedRequest): void {
    if (!appOf(request.query.api_key)) return sendHtml(res, 400, errorPage('Invalid `api_key`.'));
    sendHtml(res, 200, loginPage({ apiKey: request.query.api_key!, redirectParams: request.query.redirect_params, userId: user.userId }));
  }

  function loginPost(res: ServerResponse, form: Record<string, string>): void {
    const app = appOf(form.api_key);
    if (!app) return sendHtml(res, 400, errorPage('Invalid `api_key`.'));
    if (form.user_id !== user.userId || !safeEqual(form.password ?? '', user.password)) {
      return sendHtml(res, 200, loginPage({ apiKey: app.apiKey, redirectParams: form.redirect_params, userId: form.user_id ?? '', error: 'Invalid user ID or password.' }));
    }
    const target = new URL(app.redirectUrl);
    target.searchParams.set('action', 'login');
    target.searchParams.set('type', 'login');
    target.searchParams.set('status', 'success');
    target.searchParams.set('request_token', state.issueRequestToken(app.apiKey, user.userId));
    for (const [k, v] of new URLSearchParams(form.redirect_params ?? '')) target.searchParams.set(k, v);
    res.writeHead(302, { location: target.toString(), 'content-length': '0' });
    res.end();
  }

  const server = await startLoopbackServer((req, res, request) => {
    const { method, path } = request;
    if (path === '/connect/login') {
      if (method === 'GET') return loginGet(res, request);
      if (method === 'POST') return loginPost(res, request.form ?? {});
      return sendHtml(res, 405, errorPage('Method not allowed.'));
    }
    if (injected(req, res)) return;
    if (requireVersion && request.headers['x-kite-version'] !== '3') {
      return sendJson(res, 400, errorBody('InputException', 'Missing or invalid `X-Kite-Version` header: send 3.'));
    }
    const form = request.form ?? {};
    if (path === '/session/token') {
      if (method === 'POST') return sessionToken(res, form);
      if (method === 'DELETE') return logout(res, request);
    } else if (path === '/session/refresh_token') {
      if (method === 'POST') return refreshToken(res, form);
    } else if (path === '/user/profile') {
      if (method === 'GET') {
        const auth = bearer(request);
        const session = auth && state.active(auth.apiKey, auth.accessToken);
        if (!session) return sendJson(res, 403, TOKEN_REJECTED);
        return sendJson(res, 200, profileBody(user));
      }
    } else {
      return sendJson(res, 404, errorBody('GeneralException', 'Route not found'));
    }
    return sendJson(res, 405, errorBody('GeneralException', 'Method not allowed'));
  }, { port: options.port, failureText: 'fake kite: handler failed' });

  const loginUrl = `${server.url}/connect/login`;
  return {
    broker: 'kite',
    url: server.url,
    loginUrl,
    calls: server.calls,
    apps,
    user,
    fault(mode: FakeFaultMode, o: FakeFaultOptions = {}) {
      queue.push({ kind: 'fault', mode, times: o.times ?? 1, ...(o.retryAfterSeconds !== undefined ? { retryAfterSeconds: o.retryAfterSeconds } : {}) });
    },
    failNext(failure) {
      queue.push({ kind: 'failure', failure, times: failure.times ?? 1 });
    },
    async browserLogin(authorizeUrl, credentials = {}) {
      const target = new URL(authorizeUrl);
      if (target.origin !== new URL(server.url).origin || target.pathname !== '/connect/login') {
        throw new Error(`browserLogin: ${target.origin}${target.pathname} is not this fake's login page (${loginUrl}).`);
      }
      const page = await fetch(target, { redirect: 'manual' });
      const html = await page.text();
      if (page.status !== 200) throw new Error(`browserLogin: the login page answered HTTP ${page.status}: ${html.replace(/<[^>]+>/g, ' ').trim()}`);
      const form = new URLSearchParams({ v: '3', api_key: target.searchParams.get('api_key') ?? '' });
      const redirectParams = target.searchParams.get('redirect_params');
      if (redirectParams !== null) form.set('redirect_params', redirectParams);
      form.set('user_id', credentials.userId ?? user.userId);
      form.set('password', credentials.password ?? user.password);
      const submitted = await fetch(loginUrl, { method: 'POST', body: form, redirect: 'manual' });
      const location = submitted.headers.get('location');
      await submitted.text();
      if (submitted.status !== 302 || !location) throw new Error(`browserLogin: the login was refused (HTTP ${submitted.status}).`);
      return location;
    },
    issueRequestToken: (apiKey = defaultKey) => state.issueRequestToken(apiKey, user.userId),
    mintSession: (apiKey = defaultKey) => state.mint({ apiKey, userId: user.userId, refreshToken: appOf(apiKey)?.refreshTokens === true }),
    invalidate: (accessToken, apiKey = defaultKey) => state.revokeAccess(apiKey, accessToken),
    masterLogout: (userId = user.userId) => state.masterLogout(userId),
    isActive: (accessToken, apiKey = defaultKey) => state.active(apiKey, accessToken) !== undefined,
    sessions: () => state.sessions(),
    async close() {
      for (const res of hanging) res.destroy();
      hanging.clear();
      await server.close();
    },
  };
}
