import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSystemClock, type ClockV1 } from '@tokens/core';
import {
  sendJson,
  startLoopbackServer,
  type FakeBrokerServer,
  type FakeFaultMode,
  type FakeFaultOptions,
  type LoopbackServer,
  type RecordedRequest,
} from '@tokens/broker-utils/testing';
import * as bodies from './kotak-fake-bodies';
import { defaultCredentials, FakeKotakState, type FakeKotakCredentials, type FakeKotakSession } from './kotak-fake-state';

export type { FakeKotakCredentials, FakeKotakSession } from './kotak-fake-state';

export interface FakeKotakOptions {
  /** Drives TOTP checks and session expiry (midnight IST). Default: the system clock. */
  clock?: ClockV1;
  /** The account the fake accepts; missing fields get random values (read them back from `fake.credentials`). */
  credentials?: Partial<FakeKotakCredentials>;
  /** `dataCenter` in login answers. Default "E43". */
  dataCenter?: string;
  /** Put `exp` (00:00 IST) into the JWTs. Default true; false exercises the adapter's 23:59 IST fallback. */
  jwtExp?: boolean;
  /** Refuse a TOTP code that already logged in (RFC 6238 §5.2). Default false: Kotak's behaviour is undocumented. */
  rejectReusedTotp?: boolean;
  /** TOTP steps of clock drift accepted either side. Default 1. */
  totpWindow?: number;
}

/** A recorded request plus which host got it and when (fake clock). */
export interface FakeKotakRequest extends RecordedRequest {
  host: 'login' | 'trading';
  /** Epoch ms on the fake's clock. */
  at: number;
}

export interface FakeKotakStats {
  /** Successful tradeApiValidate calls: completed logins. */
  logins: number;
  /** tradeApiLogin calls, successful or not. */
  loginAttempts: number;
  /** Most logins ever in progress at once (view sessions waiting for their MPIN). */
  maxConcurrentLogins: number;
  /** Trade sessions alive now. */
  activeSessions: number;
}

/** The Kotak Neo Trade API fake: the FakeBrokerServer shape plus Kotak specifics. */
export interface FakeKotak extends FakeBrokerServer {
  readonly broker: 'kotak';
  /** The login host: pass it as `loginBaseUrl`. */
  readonly url: string;
  /** The trading host, handed out as `baseUrl` (serves `POST /quick/user/limits`). */
  readonly tradingUrl: string;
  readonly calls: FakeKotakRequest[];
  readonly credentials: FakeKotakCredentials;
  readonly stats: FakeKotakStats;
  /** A live trade session, as if someone had logged in earlier (ends the previous one). */
  seedSession(): FakeKotakSession & { baseUrl: string };
  /** Ends the session of this trade token: Kotak answers 403 / stCode 100022 from now on. */
  invalidateSession(tradeToken: string): boolean;
  /** Ends every trade session at once (a JWT expiring early, a logout elsewhere). Returns how many. */
  expireSessions(): number;
  /** Answers the next request to `path` (either host) with this status and body, once. */
  respondOnce(path: string, response: { status: number; body: unknown; headers?: Record<string, string> }): void;
  /** Kotak has no browser login: always rejects (the adapter declares no interactive login). */
  browserLogin(authorizeUrl?: string): Promise<string>;
}

const LOGIN_PATHS = new Set(['/login/1.0/tradeApiLogin', '/login/1.0/tradeApiValidate']);

/**
 * Starts a wire-exact fake of the Kotak Neo Trade API (Gen 3) on 127.0.0.1 (two free ports): the login host
 * (`tradeApiLogin`, `tradeApiValidate`, `get-client-ip`) and a trading host (`/quick/user/limits`)
 * whose URL the login hands out as `baseUrl`. It enforces the headers Kotak requires, checks
 * the TOTP and MPIN, ends sessions at midnight IST on the injected clock, keeps one session per
 * user, and answers with the error bodies of research §5.
 */
export async function startFakeKotak(options: FakeKotakOptions = {}): Promise<FakeKotak> {
  const clock = options.clock ?? createSystemClock();
  const credentials: FakeKotakCredentials = { ...defaultCredentials(), ...options.credentials };
  const dataCenter = options.dataCenter ?? 'E43';
  const state = new FakeKotakState(clock, credentials, {
    jwtExp: options.jwtExp ?? true,
    rejectReusedTotp: options.rejectReusedTotp ?? false,
    totpWindow: options.totpWindow ?? 1,
  });
  const calls: FakeKotakRequest[] = [];
  const faults: Array<{ mode: FakeFaultMode; left: number; retryAfterSeconds?: number }> = [];
  const scripted = new Map<string, bodies.FakeResponse[]>();
  let tradingUrl = '';

  const reply = (res: ServerResponse, r: bodies.FakeResponse) => sendJson(res, r.status, r.body, r.headers);

  /** Applies the oldest queued fault; true when the request was handled by it. */
  function applyFault(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const fault = faults[0];
    if (!fault) return false;
    if (--fault.left <= 0) faults.shift();
    switch (fault.mode) {
      case 'server-error':
        reply(res, bodies.serverError());
        return true;
      case 'rate-limit':
        reply(res, bodies.rateLimited(fault.retryAfterSeconds));
        return true;
      case 'reset':
        req.socket.resetAndDestroy();
        return true;
      case 'timeout':
        return true; // never answered; close() ends the connection
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"data":{"token":"eyJhbGciOi');
        return true;
      case 'revoked':
        // Logins: the consumer key (the app) was revoked; trading/probe: the session was ended.
        reply(res, LOGIN_PATHS.has(path) ? bodies.invalidConsumerKey() : bodies.invalidSession());
        return true;
    }
  }

  const header = (r: RecordedRequest, name: string): string | undefined => {
    const v = r.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };

  function tradeApiLogin(r: RecordedRequest): bodies.FakeResponse {
    state.loginAttempts++;
    if (header(r, 'authorization') === undefined || header(r, 'neo-fin-key') === undefined) return bodies.missingHeader();
    if (header(r, 'authorization') !== credentials.consumerKey || header(r, 'neo-fin-key') !== 'neotradeapi') return bodies.invalidConsumerKey();
    const body = (r.json ?? {}) as Record<string, unknown>;
    for (const [field, name] of [['mobileNumber', 'MobileNumber'], ['ucc', 'Ucc'], ['totp', 'Totp']] as const) {
      if (typeof body[field] !== 'string' || body[field] === '') return bodies.missingField(name);
    }
    if (body.ucc !== credentials.ucc || body.mobileNumber !== credentials.mobileNumber) return bodies.invalidUcc();
    if (!state.checkTotp(body.totp as string)) return bodies.invalidTotp();
    return { status: 200, body: bodies.loginBody(state.startLogin(), credentials, dataCenter) };
  }

  function tradeApiValidate(r: RecordedRequest): bodies.FakeResponse {
    const [auth, sid, view, finKey] = ['authorization', 'sid', 'auth', 'neo-fin-key'].map((n) => header(r, n));
    if (auth === undefined || sid === undefined || view === undefined || finKey === undefined) return bodies.missingHeader();
    if (auth !== credentials.consumerKey || finKey !== 'neotradeapi') return bodies.invalidConsumerKey();
    const mpin = ((r.json ?? {}) as Record<string, unknown>).mpin;
    if (typeof mpin !== 'string' || mpin === '') return bodies.missingField('Mpin');
    const pending = state.takeView(view, sid);
    if (!pending) return bodies.invalidSession();
    if (mpin !== credentials.mpin) return bodies.invalidMpin();
    return { status: 200, body: bodies.validateBody(state.completeLogin(pending), credentials, dataCenter, tradingUrl) };
  }

  function clientIp(r: RecordedRequest): bodies.FakeResponse {
    const [auth, sid, token] = ['authorization', 'sid', 'auth'].map((n) => header(r, n));
    if (auth === undefined || sid === undefined || token === undefined) return bodies.missingHeader();
    if (auth !== credentials.consumerKey) return bodies.invalidConsumerKey();
    if (!state.tradeSession(token, sid)) return bodies.invalidSession();
    return { status: 200, body: bodies.clientIpBody('127.0.0.1', clock.now()) };
  }

  function trading(r: RecordedRequest): bodies.FakeResponse {
    const [sid, token] = ['sid', 'auth'].map((n) => header(r, n));
    if (sid === undefined || token === undefined) return bodies.missingHeader();
    if (!state.tradeSession(token, sid)) return bodies.invalidSession();
    if (r.method === 'POST' && r.path === '/quick/user/limits') return { status: 200, body: bodies.limitsBody(clock.now()) };
    return bodies.notFound();
  }

  function route(host: FakeKotakRequest['host'], r: RecordedRequest): bodies.FakeResponse {
    if (host === 'trading') return r.path.startsWith('/quick/') ? trading(r) : bodies.notFound();
    if (r.method === 'POST' && r.path === '/login/1.0/tradeApiLogin') return tradeApiLogin(r);
    if (r.method === 'POST' && r.path === '/login/1.0/tradeApiValidate') return tradeApiValidate(r);
    if (r.method === 'GET' && r.path === '/login/1.0/get-client-ip') return clientIp(r);
    return bodies.notFound();
  }

  const handler = (host: FakeKotakRequest['host']) => (req: IncomingMessage, res: ServerResponse, recorded: RecordedRequest) => {
    const once = scripted.get(recorded.path)?.shift();
    if (once) return reply(res, once);
    if (applyFault(req, res, recorded.path)) return;
    reply(res, route(host, recorded));
  };
  // Both hosts log into `calls`, each request labelled with its host and arrival time.
  const listen = (host: FakeKotakRequest['host']) =>
    startLoopbackServer(handler(host), { calls, record: (recorded: RecordedRequest): FakeKotakRequest => ({ ...recorded, host, at: clock.now() }) });

  const login = await listen('login');
  let tradingHost: LoopbackServer<FakeKotakRequest>;
  try {
    tradingHost = await listen('trading');
  } catch (error) {
    await login.close();
    throw error;
  }
  tradingUrl = tradingHost.url;

  return {
    broker: 'kotak',
    url: login.url,
    tradingUrl,
    calls,
    credentials,
    get stats(): FakeKotakStats {
      const now = clock.now();
      return {
        logins: state.logins,
        loginAttempts: state.loginAttempts,
        maxConcurrentLogins: state.maxConcurrentLogins,
        activeSessions: [...state.trades.values()].filter((s) => s.expiresAt > now).length,
      };
    },
    fault(mode: FakeFaultMode, o: FakeFaultOptions = {}) {
      faults.push({ mode, left: o.times ?? 1, ...(o.retryAfterSeconds !== undefined ? { retryAfterSeconds: o.retryAfterSeconds } : {}) });
    },
    seedSession: () => ({ ...state.seed(), baseUrl: tradingUrl }),
    invalidateSession: (tradeToken) => state.trades.delete(tradeToken),
    expireSessions() {
      const n = state.trades.size;
      state.trades.clear();
      return n;
    },
    respondOnce(path, response) {
      const queue = scripted.get(path) ?? [];
      queue.push(response);
      scripted.set(path, queue);
    },
    async browserLogin() {
      throw new Error(
        'Kotak has no browser login: the Trade API logs in unattended with TOTP + MPIN (tradeApiLogin, then tradeApiValidate), so the Kotak adapter declares no interactive login.',
      );
    },
    async close() {
      await Promise.all([login.close(), tradingHost.close()]);
    },
  };
}
