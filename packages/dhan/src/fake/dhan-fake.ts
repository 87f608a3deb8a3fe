import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import { createSystemClock, type ClockV1 } from '@tokens/core';
import { sendHtml, sendJson, startLoopbackServer, type FakeBrokerServer, type FakeFaultMode, type FakeFaultOptions, type RecordedRequest } from '@tokens/broker-utils/testing';
import { FakeDhanState, type FakeDhanApp, type FakeDhanClient, type FakeTokenSource } from './fake-state';
import { totpAt, verifyTotp } from './fake-totp';
import {
  DH_901,
  DH_904,
  DH_905,
  DH_908,
  WRONG_PIN_OR_TOTP,
  errorPage,
  loginPage,
  profileBody,
  tokenBody,
} from './fake-wire';

/** The Dhan endpoints the fake serves; a fault can target one of them. */
export type FakeDhanEndpoint = 'generateAccessToken' | 'generate-consent' | 'consentApp-login' | 'consumeApp-consent' | 'RenewToken' | 'profile';

export interface FakeDhanFaultOptions extends FakeFaultOptions {
  /** Only requests to this endpoint are hit. Default: the next request to any endpoint. */
  endpoint?: FakeDhanEndpoint;
}

export interface FakeDhanOptions {
  /** Default: the system clock. Pass the same fake clock as the engine in tests. */
  clock?: ClockV1;
  /** Default 0 (any free port). Always binds 127.0.0.1. */
  port?: number;
  /** Default: one client, {@link FAKE_DHAN_CLIENT}. */
  clients?: FakeDhanClient[];
  /** Default: one API key for the first client, {@link FAKE_DHAN_APP}. */
  apps?: FakeDhanApp[];
  /** Default 24 hours. */
  tokenLifetimeMs?: number;
}

export interface FakeDhanToken {
  accessToken: string;
  clientId: string;
  source: FakeTokenSource;
  issuedAt: number;
  expiresAt: number;
}

export interface FakeDhanServer extends FakeBrokerServer {
  readonly broker: 'dhan';
  /** The API host, with the `/v2` base path: pass as `baseUrl`. */
  readonly url: string;
  /** The auth host (same loopback server, base path `/auth`): pass as `authBaseUrl`. */
  readonly authUrl: string;
  fault(mode: FakeFaultMode, options?: FakeDhanFaultOptions): void;
  /** Drops every pending fault (ends an outage). */
  clearFaults(): void;
  /** Plays the human generating a token on Dhan Web (source 'web'); revokes the client's previous token. */
  issueToken(options?: { clientId?: string; source?: FakeTokenSource }): FakeDhanToken;
  /** Makes Dhan reject this token from now on. */
  revokeToken(token: string): boolean;
  /** The client's one active token, if it is still valid now. */
  activeToken(clientId?: string): FakeDhanToken | undefined;
  /** True when the fake would accept this token right now. */
  isTokenValid(token: string): boolean;
  /** The code an authenticator app shows now for the client (for humans in the sandbox). */
  currentTotp(clientId?: string): string;
  /** Exceptions thrown inside the fake's handlers (a bug in the fake); empty in a healthy run. */
  readonly handlerErrors: unknown[];
}

/** The default client of the fake. Its secrets are test values, public on purpose. */
export const FAKE_DHAN_CLIENT = {
  clientId: '1000000401',
  pin: '246810',
  totpSecret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
  name: 'JOHN DOE',
  ucc: 'ABCD12345E',
} as const satisfies FakeDhanClient;

export const FAKE_DHAN_APP = {
  apiKey: 'fake-dhan-api-key',
  apiSecret: 'fake-dhan-api-secret',
  clientId: FAKE_DHAN_CLIENT.clientId,
  redirectUrl: 'http://127.0.0.1:8765/callback',
} as const satisfies FakeDhanApp;

interface PendingFault {
  mode: FakeFaultMode;
  remaining: number;
  retryAfterSeconds?: number;
  endpoint?: FakeDhanEndpoint;
}

// Route table: path (after the host's base path) → endpoint.
const ROUTES: Record<string, FakeDhanEndpoint> = {
  '/auth/app/generateAccessToken': 'generateAccessToken',
  '/auth/app/generate-consent': 'generate-consent',
  '/auth/app/consumeApp-consent': 'consumeApp-consent',
  '/auth/login/consentApp-login': 'consentApp-login',
  '/v2/RenewToken': 'RenewToken',
  '/v2/profile': 'profile',
};

function same(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

function header(request: RecordedRequest, name: string): string | undefined {
  const v = request.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function mask(clientId: string): string {
  return `******${clientId.slice(-4)}`;
}

/**
 * Starts a wire-exact local fake of Dhan's two hosts on 127.0.0.1 (research §3.9): PIN + TOTP
 * minting, RenewToken (GET only; POST → 400 DH-905), the profile probe, the API-key consent flow
 * with a login page, one active token per client, 401 DH-901 for bad tokens, and fault modes.
 */
export async function startFakeDhan(options: FakeDhanOptions = {}): Promise<FakeDhanServer> {
  const clock = options.clock ?? createSystemClock();
  const clients = options.clients ?? [FAKE_DHAN_CLIENT];
  const apps = options.apps ?? (options.clients ? [] : [FAKE_DHAN_APP]);
  const state = new FakeDhanState(clients, apps, options.tokenLifetimeMs ?? 86_400_000);
  const firstClient = clients[0]?.clientId;
  let faults: PendingFault[] = [];

  const takeFault = (endpoint: FakeDhanEndpoint): PendingFault | undefined => {
    const fault = faults.find((f) => f.endpoint === undefined || f.endpoint === endpoint);
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) faults = faults.filter((f) => f !== fault);
    return fault;
  };

  function applyFault(fault: PendingFault, req: IncomingMessage, res: ServerResponse, request: RecordedRequest): void {
    switch (fault.mode) {
      case 'server-error':
        return sendJson(res, 500, DH_908);
      case 'rate-limit':
        return sendJson(res, 429, DH_904, fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) });
      case 'reset':
        req.socket.resetAndDestroy();
        return;
      case 'timeout':
        return; // never answered; close() ends the connection
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"dhanClientId":"');
        return;
      case 'revoked': {
        // The session (or the login credentials) was revoked on Dhan's side.
        const token = header(request, 'access-token');
        if (token) state.revoke(token, clock.now());
        return sendJson(res, 401, DH_901);
      }
    }
  }

  const handlers: Record<FakeDhanEndpoint, (req: IncomingMessage, res: ServerResponse, request: RecordedRequest) => void> = {
    generateAccessToken(_req, res, request) {
      if (request.method !== 'POST') return sendJson(res, 400, DH_905);
      const { dhanClientId, pin, totp } = request.query;
      if (!dhanClientId || !pin || !totp) return sendJson(res, 400, DH_905);
      const client = state.clients.get(dhanClientId);
      const now = clock.now();
      // Same answer for an unknown client, a wrong PIN and a wrong TOTP: nothing to enumerate.
      if (!client || !client.key || !same(pin, client.pin) || !verifyTotp(client.key, totp, now)) return sendJson(res, 401, WRONG_PIN_OR_TOTP);
      sendJson(res, 200, tokenBody(client, state.mint(client.clientId, 'totp', now)));
    },

    'generate-consent'(_req, res, request) {
      if (request.method !== 'POST') return sendJson(res, 400, DH_905);
      const clientId = request.query.client_id;
      const apiKey = header(request, 'app_id');
      const apiSecret = header(request, 'app_secret');
      if (!clientId || !apiKey || !apiSecret) return sendJson(res, 400, DH_905);
      const app = state.apps.get(apiKey);
      if (!app || !same(apiSecret, app.apiSecret) || app.clientId !== clientId) return sendJson(res, 401, DH_901);
      const consent = state.createConsent(app, clock.now());
      sendJson(res, 200, { consentAppId: consent.consentAppId, consentAppStatus: 'GENERATED', status: 'success' });
    },

    'consentApp-login'(_req, res, request) {
      const fields = request.method === 'POST' ? (request.form ?? {}) : request.query;
      const consent = fields.consentAppId ? state.consents.get(fields.consentAppId) : undefined;
      if (!consent || consent.used) return sendHtml(res, 400, errorPage('This login link has expired or was already used. Start the login again.'));
      if (request.method === 'GET') return sendHtml(res, 200, loginPage(request.path, consent.consentAppId, fields.state, mask(consent.clientId)));
      if (request.method !== 'POST') return sendHtml(res, 405, errorPage('Method not allowed.'));
      const app = state.apps.get(consent.apiKey)!;
      const { tokenId } = state.completeConsent(consent);
      const target = new URL(app.redirectUrl);
      target.searchParams.set('tokenId', tokenId);
      // [INF] Dhan does not document passing `state` through; the fake does when it was given.
      if (fields.state) target.searchParams.set('state', fields.state);
      res.writeHead(302, { location: target.toString(), 'content-length': '0' });
      res.end();
    },

    'consumeApp-consent'(_req, res, request) {
      // The SDK uses GET, openalgo POST: both are accepted (research §3.3-C).
      if (request.method !== 'GET' && request.method !== 'POST') return sendJson(res, 400, DH_905);
      const apiKey = header(request, 'app_id');
      const apiSecret = header(request, 'app_secret');
      const tokenId = request.query.tokenId;
      if (!tokenId || !apiKey || !apiSecret) return sendJson(res, 400, DH_905);
      const app = state.apps.get(apiKey);
      if (!app || !same(apiSecret, app.apiSecret)) return sendJson(res, 401, DH_901);
      const entry = state.tokenIds.get(tokenId);
      if (!entry || entry.used || entry.apiKey !== apiKey) return sendJson(res, 400, { ...DH_905, errorMessage: 'Invalid or expired tokenId.' });
      entry.used = true;
      const client = state.clients.get(entry.clientId)!;
      sendJson(res, 200, tokenBody(client, state.mint(client.clientId, 'consent', clock.now())));
    },

    RenewToken(_req, res, request) {
      if (request.method !== 'GET') return sendJson(res, 400, DH_905);
      const now = clock.now();
      const clientId = header(request, 'dhanClientId');
      const token = header(request, 'access-token');
      if (!token) return sendJson(res, 401, DH_901);
      if (!clientId) return sendJson(res, 400, DH_905);
      const record = state.live(token, now);
      // "This only renews tokens which are active": expired, revoked and replaced tokens fail.
      if (!record || record.clientId !== clientId) return sendJson(res, 401, DH_901);
      const client = state.clients.get(clientId)!;
      sendJson(res, 200, tokenBody(client, state.mint(clientId, 'renew', now, 'renewed')));
    },

    profile(_req, res, request) {
      if (request.method !== 'GET') return sendJson(res, 400, DH_905);
      const record = state.live(header(request, 'access-token'), clock.now());
      const clientId = header(request, 'dhanClientId') ?? header(request, 'client-id');
      if (!record || (clientId !== undefined && clientId !== record.clientId)) return sendJson(res, 401, DH_901);
      sendJson(res, 200, profileBody(state.clients.get(record.clientId)!, record));
    },
  };

  const server = await startLoopbackServer((req, res, request) => {
    const endpoint = ROUTES[request.path];
    if (!endpoint) return sendJson(res, 404, { errorType: 'Not_Found', errorCode: 'DH-910', errorMessage: `No such endpoint: ${request.path}` });
    const fault = takeFault(endpoint);
    if (fault) return applyFault(fault, req, res, request);
    handlers[endpoint](req, res, request);
  }, { port: options.port, failureText: 'fake dhan: handler failed' });

  const url = `${server.url}/v2`;
  const authUrl = `${server.url}/auth`;
  const clientOf = (clientId: string | undefined) => {
    const client = state.clients.get(clientId ?? firstClient ?? '');
    if (!client) throw new Error(`fake dhan: unknown client ${clientId ?? '(none configured)'}`);
    return client;
  };
  const view = (r: { token: string; clientId: string; source: FakeTokenSource; issuedAt: number; expiresAt: number }): FakeDhanToken => ({
    accessToken: r.token,
    clientId: r.clientId,
    source: r.source,
    issuedAt: r.issuedAt,
    expiresAt: r.expiresAt,
  });

  return {
    broker: 'dhan',
    url,
    authUrl,
    calls: server.calls,
    handlerErrors: server.handlerErrors,
    fault(mode, opts = {}) {
      faults.push({
        mode,
        remaining: opts.times ?? 1,
        ...(opts.retryAfterSeconds !== undefined ? { retryAfterSeconds: opts.retryAfterSeconds } : {}),
        ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      });
    },
    clearFaults() {
      faults = [];
    },
    issueToken(opts = {}) {
      const client = clientOf(opts.clientId);
      return view(state.mint(client.clientId, opts.source ?? 'web', clock.now()));
    },
    revokeToken(token) {
      return state.revoke(token, clock.now());
    },
    activeToken(clientId) {
      const record = state.active(clientOf(clientId).clientId);
      return record && state.live(record.token, clock.now()) ? view(record) : undefined;
    },
    isTokenValid(token) {
      return state.live(token, clock.now()) !== undefined;
    },
    currentTotp(clientId) {
      const client = clientOf(clientId);
      if (!client.key) throw new Error('fake dhan: this client has no TOTP secret');
      return totpAt(client.key, clock.now());
    },
    async browserLogin(authorizeUrl) {
      // A real browser round trip: load the login page, submit it, read the redirect.
      const page = new URL(authorizeUrl);
      if (page.origin !== server.url || page.pathname !== '/auth/login/consentApp-login') {
        throw new Error('fake dhan: browserLogin() expects the consentApp-login URL of this fake');
      }
      const shown = await fetch(page);
      await shown.text();
      if (shown.status !== 200) throw new Error(`fake dhan: the login page answered HTTP ${shown.status}`);
      const form = new URLSearchParams({ consentAppId: page.searchParams.get('consentAppId') ?? '' });
      const stateParam = page.searchParams.get('state');
      if (stateParam !== null) form.set('state', stateParam);
      const submitted = await fetch(new URL(page.pathname, server.url), { method: 'POST', body: form, redirect: 'manual' });
      await submitted.text();
      const location = submitted.headers.get('location');
      if (submitted.status !== 302 || !location) throw new Error(`fake dhan: the login form answered HTTP ${submitted.status}`);
      return location;
    },
    close: () => server.close(),
  };
}
