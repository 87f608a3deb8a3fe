import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSystemClock, type ClockV1 } from '@tokens/core';
import { fyersAppIdHash, nextIstTime, safeEqual } from '@tokens/broker-utils';
import { sendJson, startLoopbackServer, type FakeBrokerServer, type FakeFaultMode, type FakeFaultOptions, type RecordedRequest } from '@tokens/broker-utils/testing';
import { FAKE_FYERS_ANSWERS as A, FAKE_FYERS_DEFAULTS, fakeProfile, type Answer } from './fake-answers';
import { createJwtMinter } from './fake-jwt';

/** A recorded request plus when it arrived, on the fake's clock. */
export interface FakeFyersRequest extends RecordedRequest {
  /** Epoch ms from the fake's (injected) clock. */
  receivedAt: number;
}

/** The shared fault modes plus FYERS' two refresh failures (they apply to the next refresh only). */
export type FakeFyersFaultMode = FakeFaultMode | 'wrong-pin' | 'refresh-expired';

export interface StartFakeFyersOptions {
  /** Default `ABCDEFGH12-100` (the research test vector). */
  appId?: string;
  /** Default `SECRETKEY1`. */
  appSecret?: string;
  /** The user's trading PIN. Default `1234`. */
  pin?: string;
  /** When set, `generate-authcode` demands exactly this `redirect_uri`, like an app registration. */
  redirectUri?: string;
  /** Drives every lifetime (`exp`, 15-day refresh tokens, auth-code expiry). Default: the system clock. */
  clock?: ClockV1;
  /** Default 0 (a free port). */
  port?: number;
  /** The FYERS client id put into tokens and the profile. Default `XA00000`. */
  fyId?: string;
  /** Default 15 days. */
  refreshTokenLifetimeMs?: number;
  /** Default 30 000 s, as in decoded public auth codes. */
  authCodeLifetimeMs?: number;
}

/** Tokens as if a human had completed a browser login at `issuedAt`. */
export interface FakeFyersSession {
  accessToken: string;
  refreshToken: string;
  issuedAt: number;
  /** Next 06:00 IST. */
  expiresAt: number;
  /** `issuedAt` + 15 days. */
  refreshExpiresAt: number;
}

export type FakeTokenStatus = 'valid' | 'expired' | 'revoked' | 'unknown';

export interface FakeFyersServer extends FakeBrokerServer {
  readonly broker: 'fyers';
  /** API base, `http://127.0.0.1:<port>/api/v3`: pass it as `baseUrl` to `createFyers`. */
  readonly url: string;
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  readonly appId: string;
  /** Every request received, in order, with its arrival time on the fake's clock. */
  readonly calls: FakeFyersRequest[];
  fault(mode: FakeFyersFaultMode, options?: FakeFaultOptions): void;
  /** Mints a session without the browser round trip (seeding tests and sandboxes). */
  issueSession(): FakeFyersSession;
  /** The broker rejects this access token from now on (like a logout elsewhere). */
  revokeAccessToken(token: string): void;
  /** The broker rejects this refresh token from now on. */
  revokeRefreshToken(token: string): void;
  accessTokenStatus(token: string): FakeTokenStatus;
}

interface Grant {
  expiresAt: number;
  revoked: boolean;
}

const API = '/api/v3';
const SECOND = 1000;

/**
 * Starts a wire-exact fake of the FYERS API v3 auth server on 127.0.0.1: the login redirect,
 * `validate-authcode`, `validate-refresh-token`, `profile` and `logout`, with FYERS' error
 * envelope and codes, JWT tokens dying at the next 06:00 IST, 15-day refresh tokens, single-use
 * auth codes and fault injection.
 */
export async function startFakeFyers(options: StartFakeFyersOptions = {}): Promise<FakeFyersServer> {
  const appId = options.appId ?? FAKE_FYERS_DEFAULTS.appId;
  const appSecret = options.appSecret ?? FAKE_FYERS_DEFAULTS.appSecret;
  const pin = options.pin ?? FAKE_FYERS_DEFAULTS.pin;
  const fyId = options.fyId ?? FAKE_FYERS_DEFAULTS.fyId;
  const clock = options.clock ?? createSystemClock();
  const refreshLifetime = options.refreshTokenLifetimeMs ?? 15 * 24 * 3_600 * SECOND;
  const authCodeLifetime = options.authCodeLifetimeMs ?? 30_000 * SECOND;
  const expectedHash = fyersAppIdHash(appId, appSecret);
  const jwt = createJwtMinter();

  const accessTokens = new Map<string, Grant>();
  const refreshTokens = new Map<string, Grant>();
  const authCodes = new Map<string, Grant & { used: boolean }>();
  const faults: { mode: FakeFyersFaultMode; left: number; retryAfterSeconds?: number }[] = [];

  const seconds = (ms: number) => Math.floor(ms / SECOND);

  function mintAccessToken(): string {
    const now = clock.now();
    // exp = the next 06:00 IST, whole seconds, as in every decoded public token.
    const exp = seconds(nextIstTime(now, '06:00'));
    const token = jwt.accessToken({ iat: seconds(now), exp, fyId });
    accessTokens.set(token, { expiresAt: exp * SECOND, revoked: false });
    return token;
  }

  function issueSession(): FakeFyersSession {
    const now = clock.now();
    const refreshExpiresAt = now + refreshLifetime;
    const refreshToken = jwt.refreshToken({ iat: seconds(now), exp: seconds(refreshExpiresAt), fyId });
    refreshTokens.set(refreshToken, { expiresAt: refreshExpiresAt, revoked: false });
    const accessToken = mintAccessToken();
    return { accessToken, refreshToken, issuedAt: now, expiresAt: accessTokens.get(accessToken)!.expiresAt, refreshExpiresAt };
  }

  function statusOf(grants: Map<string, Grant>, token: unknown): FakeTokenStatus {
    const grant = typeof token === 'string' ? grants.get(token) : undefined;
    if (!grant) return 'unknown';
    if (grant.revoked) return 'revoked';
    return clock.now() >= grant.expiresAt ? 'expired' : 'valid';
  }

  const hashMatches = (value: unknown) => typeof value === 'string' && safeEqual(value, expectedHash);
  const send = (res: ServerResponse, answer: Answer, headers: Record<string, string> = {}) => sendJson(res, answer.status, answer.body, headers);
  const bodyOf = (request: RecordedRequest): Record<string, unknown> =>
    request.json !== null && typeof request.json === 'object' && !Array.isArray(request.json) ? (request.json as Record<string, unknown>) : {};

  /** `Authorization: <appId>:<accessToken>`, no scheme word. */
  function authorizedToken(req: IncomingMessage): string | undefined {
    const header = req.headers.authorization ?? '';
    const at = header.indexOf(':');
    if (at <= 0) return undefined;
    const token = header.slice(at + 1);
    return header.slice(0, at) === appId && statusOf(accessTokens, token) === 'valid' ? token : undefined;
  }

  const routes: Record<string, (req: IncomingMessage, res: ServerResponse, request: RecordedRequest) => void> = {
    [`GET ${API}/generate-authcode`](_req, res, request) {
      const q = request.query;
      if (q.client_id !== appId) return send(res, A.invalidAppId);
      const redirect = q.redirect_uri;
      if (q.response_type !== 'code' || !redirect || !URL.canParse(redirect) || (options.redirectUri !== undefined && redirect !== options.redirectUri)) {
        res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><p>Invalid request: check client_id, redirect_uri and response_type.</p>');
        return;
      }
      const now = clock.now();
      const code = jwt.authCode({ iat: seconds(now), exp: seconds(now + authCodeLifetime), fyId, appId });
      authCodes.set(code, { expiresAt: now + authCodeLifetime, revoked: false, used: false });
      const target = new URL(redirect);
      target.searchParams.set('s', 'ok');
      target.searchParams.set('code', '200');
      target.searchParams.set('auth_code', code);
      if (q.state !== undefined) target.searchParams.set('state', q.state);
      res.writeHead(302, { location: target.toString(), 'content-length': '0' }).end();
    },
    [`POST ${API}/validate-authcode`](_req, res, request) {
      const body = bodyOf(request);
      if (body.grant_type !== 'authorization_code') return send(res, A.invalidGrantType);
      if (!hashMatches(body.appIdHash)) return send(res, A.invalidAppIdHash);
      if (typeof body.code !== 'string' || body.code === '') return send(res, A.missingAuthCode);
      const grant = authCodes.get(body.code);
      if (!grant || grant.used || grant.revoked || clock.now() >= grant.expiresAt) return send(res, A.invalidAuthCode);
      grant.used = true; // single use
      const session = issueSession();
      send(res, { status: 200, body: { s: 'ok', code: 200, message: '', access_token: session.accessToken, refresh_token: session.refreshToken } });
    },
    [`POST ${API}/validate-refresh-token`](_req, res, request) {
      const body = bodyOf(request);
      if (body.grant_type !== 'refresh_token') return send(res, A.invalidGrantType);
      if (!hashMatches(body.appIdHash)) return send(res, A.invalidAppIdHash);
      const status = statusOf(refreshTokens, body.refresh_token);
      if (status === 'expired') return send(res, A.refreshTokenExpired);
      if (status !== 'valid') return send(res, A.unauthenticated);
      if (typeof body.pin !== 'string' || !safeEqual(body.pin, pin)) return send(res, A.wrongPin);
      send(res, { status: 200, body: { s: 'ok', code: 200, message: '', access_token: mintAccessToken() } });
    },
    [`GET ${API}/profile`](req, res) {
      if (!authorizedToken(req)) return send(res, A.unauthenticated);
      send(res, { status: 200, body: fakeProfile(fyId) });
    },
    [`POST ${API}/logout`](req, res) {
      const token = authorizedToken(req);
      if (!token) return send(res, A.unauthenticated);
      accessTokens.get(token)!.revoked = true;
      send(res, A.loggedOut);
    },
  };

  /** Takes one matching fault off the queue. 'wrong-pin'/'refresh-expired' match refreshes only; the login page never faults. */
  function takeFault(path: string) {
    if (path === `${API}/generate-authcode`) return undefined;
    const index = faults.findIndex((f) => !(f.mode === 'wrong-pin' || f.mode === 'refresh-expired') || path === `${API}/validate-refresh-token`);
    if (index < 0) return undefined;
    const fault = faults[index]!;
    fault.left -= 1;
    if (fault.left <= 0) faults.splice(index, 1);
    return fault;
  }

  function answerFault(fault: NonNullable<ReturnType<typeof takeFault>>, req: IncomingMessage, res: ServerResponse, path: string): void {
    switch (fault.mode) {
      case 'server-error':
        return send(res, A.serverError);
      case 'rate-limit':
        return send(res, A.rateLimited, fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) });
      case 'reset':
        req.socket.resetAndDestroy();
        return;
      case 'timeout':
        return; // never answered; close() ends the connection
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"s":"ok","code":200,"message":"","access_tok');
        return;
      case 'revoked':
        return send(res, path === `${API}/validate-authcode` ? A.invalidAuthCode : A.unauthenticated);
      case 'wrong-pin':
        return send(res, A.wrongPin);
      case 'refresh-expired':
        return send(res, A.refreshTokenExpired);
    }
  }

  const server = await startLoopbackServer(
    (req, res, request) => {
      const fault = takeFault(request.path);
      if (fault) return answerFault(fault, req, res, request.path);
      const route = routes[`${request.method} ${request.path}`];
      if (route) return route(req, res, request);
      send(res, A.notFound);
    },
    {
      port: options.port,
      failureText: 'fake FYERS: handler failed',
      // FYERS reads a JSON body whatever the content type says (the Go SDK sends JSON as
      // x-www-form-urlencoded): a form view is kept only for bodies that are not JSON.
      record: ({ form, ...request }: RecordedRequest): FakeFyersRequest => ({ ...request, ...(form && request.json === undefined ? { form } : {}), receivedAt: clock.now() }),
    },
  );
  const origin = server.url;

  return {
    broker: 'fyers',
    url: `${origin}${API}`,
    origin,
    appId,
    calls: server.calls,
    fault(mode, faultOptions = {}) {
      faults.push({ mode, left: Math.max(1, faultOptions.times ?? 1), ...(faultOptions.retryAfterSeconds !== undefined ? { retryAfterSeconds: faultOptions.retryAfterSeconds } : {}) });
    },
    async browserLogin(authorizeUrl) {
      const target = new URL(authorizeUrl);
      if (target.origin !== origin || target.pathname !== `${API}/generate-authcode`) {
        throw new Error(`fake FYERS: ${target.origin}${target.pathname} is not this fake's login page (${origin}${API}/generate-authcode).`);
      }
      const response = await fetch(target, { redirect: 'manual' });
      const location = response.headers.get('location');
      await response.arrayBuffer();
      if (response.status !== 302 || !location) throw new Error(`fake FYERS: the login page answered HTTP ${response.status} instead of redirecting.`);
      return location;
    },
    issueSession,
    revokeAccessToken(token) {
      const grant = accessTokens.get(token);
      if (grant) grant.revoked = true;
    },
    revokeRefreshToken(token) {
      const grant = refreshTokens.get(token);
      if (grant) grant.revoked = true;
    },
    accessTokenStatus: (token) => statusOf(accessTokens, token),
    close: () => server.close(),
  };
}
