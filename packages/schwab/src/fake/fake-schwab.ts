import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSystemClock, type ClockV1, type SecretValue } from '@tokens/core';
import {
  sendJson,
  startLoopbackServer,
  type FakeBrokerServer,
  type FakeFaultMode,
  type FakeFaultOptions,
  type RecordedRequest,
} from '@tokens/broker-utils/testing';
import {
  apiErrorBody,
  codeExpiredBody,
  codeInvalidBody,
  invalidClientBody,
  mintIdToken,
  mintToken,
  oauthErrorBody,
  refreshTokenDeadBody,
  tokenBody,
  unauthorizedApiBody,
} from './fake-bodies';

export interface FakeSchwabOptions {
  /** The app key the fake accepts (same field as the adapter's settings). */
  appKey: string;
  appSecret: string | SecretValue;
  /** When set, the authorize page and the code grant insist on exactly this redirect_uri. */
  callbackUrl?: string;
  /** Time source for every lifetime. Default: the system clock. */
  clock?: ClockV1;
  /** Default 1800 (30 minutes). */
  accessTokenLifetimeSeconds?: number;
  /** Default 7 days, counted from the browser login (the code grant), never extended. */
  refreshTokenLifetimeMs?: number;
  /** Default 30 000 ms. */
  codeLifetimeMs?: number;
  /** The refresh grant returns a new refresh_token string (same 7-day clock) and retires the old one. Default false. */
  rotateRefreshTokens?: boolean;
  /** A new login retires the app's earlier refresh tokens (schwab-py#94). Default true. */
  loginRevokesPrevious?: boolean;
}

/** A session the fake accepts, as if a human had logged in at `grantedAt`. Plain strings: test data. */
export interface FakeSchwabSession {
  accessToken: string;
  refreshToken: string;
  idToken: string;
  issuedAt: number;
  expiresAt: number;
  grantedAt: number;
  /** `grantedAt` + the refresh-token lifetime. */
  refreshExpiresAt: number;
}

/** `@tokens/schwab/fake`: the shared fake-broker shape plus Schwab specifics. */
export interface FakeSchwabServer extends FakeBrokerServer {
  readonly broker: 'schwab';
  /** Mints a session directly (no browser), e.g. to seed a store. `grantedAt` defaults to now. */
  issueSession(options?: { grantedAt?: number }): FakeSchwabSession;
  /** Every request to `POST /v1/oauth/token`, optionally for one grant type only. */
  tokenRequests(grant?: 'refresh_token' | 'authorization_code'): RecordedRequest[];
  /** Makes the API reject this access token from now on. */
  revokeAccessToken(accessToken: string): void;
  /** Makes the token endpoint reject this refresh token from now on. */
  revokeRefreshToken(refreshToken: string): void;
  /** Every token and code the fake has minted (for canary checks in tests). */
  issuedSecrets(): string[];
}

interface Session {
  refreshToken: string;
  grantedAt: number;
  revoked: boolean;
}

interface AccessGrant {
  expiresAt: number;
  revoked: boolean;
}

interface Code {
  issuedAt: number;
  redirectUri: string;
  used: boolean;
}

interface Fault {
  mode: FakeFaultMode;
  remaining: number;
  retryAfterSeconds?: number;
}

const PATHS = { authorize: '/v1/oauth/authorize', token: '/v1/oauth/token', accountNumbers: '/trader/v1/accounts/accountNumbers' };

/**
 * Starts a wire-exact fake of Schwab's OAuth server and the account-numbers probe on
 * 127.0.0.1: Basic auth and form bodies required, single-use 30-second codes, 30-minute access
 * tokens, refresh tokens that die 7 days after the login, and the exact error bodies.
 */
export async function startFakeSchwab(options: FakeSchwabOptions): Promise<FakeSchwabServer> {
  const clock = options.clock ?? createSystemClock();
  const appSecret = typeof options.appSecret === 'string' ? options.appSecret : options.appSecret.reveal();
  const accessLifetimeSeconds = options.accessTokenLifetimeSeconds ?? 1800;
  const refreshLifetimeMs = options.refreshTokenLifetimeMs ?? 7 * 24 * 3_600_000;
  const codeLifetimeMs = options.codeLifetimeMs ?? 30_000;
  const sessions = new Map<string, Session>();
  const access = new Map<string, AccessGrant>();
  const codes = new Map<string, Code>();
  const minted: string[] = [];
  const faults: Fault[] = [];
  const accountHash = randomBytes(32).toString('hex').toUpperCase();

  const remember = (value: string) => {
    minted.push(value);
    return value;
  };

  /** New access (and id) token for a session; the refresh token rotates when configured. */
  const grantTokens = (session: Session, now: number) => {
    const accessToken = remember(mintToken('access'));
    access.set(accessToken, { expiresAt: now + accessLifetimeSeconds * 1000, revoked: false });
    const idToken = remember(mintIdToken(options.appKey, now, accessLifetimeSeconds));
    return { accessToken, refreshToken: session.refreshToken, idToken, expiresIn: accessLifetimeSeconds };
  };

  const openSession = (grantedAt: number): Session => {
    if (options.loginRevokesPrevious ?? true) for (const s of sessions.values()) s.revoked = true;
    const session = { refreshToken: remember(mintToken('refresh')), grantedAt, revoked: false };
    sessions.set(session.refreshToken, session);
    return session;
  };

  const basicOk = (header: string | undefined): boolean => {
    const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header ?? '');
    if (!match) return false;
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const [user, pass] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
    const unescape = (s: string) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, ' '));
      } catch {
        return s;
      }
    };
    // RFC 6749 §2.3.1 clients (authlib) form-encode both parts first; raw works too.
    return (user === options.appKey && pass === appSecret) || (unescape(user) === options.appKey && unescape(pass) === appSecret);
  };

  const takeFault = (): Fault | undefined => {
    const fault = faults[0];
    if (!fault) return undefined;
    if (--fault.remaining <= 0) faults.shift();
    return fault;
  };

  /** Answers with the fault, or returns false when the request should be served normally. */
  const applyFault = (fault: Fault, req: IncomingMessage, res: ServerResponse, request: RecordedRequest, oauth: boolean): boolean => {
    switch (fault.mode) {
      case 'server-error':
        sendJson(res, 500, oauth ? oauthErrorBody('server_error', 'Internal Server Error') : apiErrorBody(500, 'Internal Server Error', 'An unexpected error occurred'));
        return true;
      case 'rate-limit': {
        const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
        sendJson(res, 429, oauth ? oauthErrorBody('rate_limit_exceeded', 'Too Many Requests') : apiErrorBody(429, 'Too Many Requests', 'Rate limit exceeded'), headers);
        return true;
      }
      case 'reset':
        req.socket.resetAndDestroy();
        return true;
      case 'timeout':
        return true; // never answered; close() ends the connection
      case 'malformed': {
        const text = '{"expires_in":1800,"token_type":"Bearer","scope":"api","access_tok';
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
        res.end(text);
        return true;
      }
      case 'revoked': {
        if (oauth) {
          const presented = request.form?.refresh_token;
          const session = presented ? sessions.get(presented) : undefined;
          if (session) session.revoked = true;
          if (request.form?.grant_type === 'refresh_token') sendJson(res, 400, refreshTokenDeadBody(presented ?? ''));
          else sendJson(res, 400, codeInvalidBody('not found'));
        } else {
          const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1];
          const grant = bearer ? access.get(bearer) : undefined;
          if (grant) grant.revoked = true;
          sendJson(res, 401, unauthorizedApiBody());
        }
        return true;
      }
      default:
        return false;
    }
  };

  const authorize = (res: ServerResponse, request: RecordedRequest) => {
    const { client_id: clientId, redirect_uri: redirectUri, state } = request.query;
    if (clientId !== options.appKey) return sendJson(res, 400, oauthErrorBody('invalid_client', 'Unknown client_id'));
    if (!redirectUri || (options.callbackUrl !== undefined && redirectUri !== options.callbackUrl)) {
      return sendJson(res, 400, oauthErrorBody('invalid_request', 'redirect_uri does not match the registered callback URL'));
    }
    const code = remember(mintToken('code'));
    codes.set(code, { issuedAt: clock.now(), redirectUri, used: false });
    const location = `${redirectUri}?code=${encodeURIComponent(code)}&session=${randomUUID()}${state !== undefined ? `&state=${encodeURIComponent(state)}` : ''}`;
    res.writeHead(302, { location, 'content-length': '0' });
    res.end();
  };

  const token = (res: ServerResponse, request: RecordedRequest) => {
    if (request.method !== 'POST') return sendJson(res, 405, oauthErrorBody('invalid_request', 'Method Not Allowed'));
    if (!basicOk(request.headers.authorization)) return sendJson(res, 401, invalidClientBody);
    const form = request.form;
    if (!form) return sendJson(res, 400, oauthErrorBody('invalid_request', 'Content-Type must be application/x-www-form-urlencoded'));
    const now = clock.now();
    if (form.grant_type === 'authorization_code') {
      const code = form.code ? codes.get(form.code) : undefined;
      if (!code || code.used) return sendJson(res, 400, codeInvalidBody('not found'));
      if (now - code.issuedAt > codeLifetimeMs) {
        codes.delete(form.code!);
        return sendJson(res, 400, codeExpiredBody(code.issuedAt + codeLifetimeMs, now));
      }
      if (form.redirect_uri !== code.redirectUri) return sendJson(res, 400, codeInvalidBody('redirect_uri mismatch'));
      code.used = true;
      return sendJson(res, 200, tokenBody(grantTokens(openSession(now), now)));
    }
    if (form.grant_type === 'refresh_token') {
      const presented = form.refresh_token ?? '';
      const session = sessions.get(presented);
      if (!session || session.revoked || now >= session.grantedAt + refreshLifetimeMs) return sendJson(res, 400, refreshTokenDeadBody(presented));
      if (options.rotateRefreshTokens) {
        sessions.delete(presented);
        session.refreshToken = remember(mintToken('refresh'));
        sessions.set(session.refreshToken, session);
      }
      return sendJson(res, 200, tokenBody(grantTokens(session, now)));
    }
    return sendJson(res, 400, oauthErrorBody('unsupported_grant_type', 'Unsupported grant type'));
  };

  const accountNumbers = (res: ServerResponse, request: RecordedRequest) => {
    const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const grant = bearer ? access.get(bearer) : undefined;
    if (!grant || grant.revoked || clock.now() >= grant.expiresAt) return sendJson(res, 401, unauthorizedApiBody());
    sendJson(res, 200, [{ accountNumber: '12345678', hashValue: accountHash }]);
  };

  const server = await startLoopbackServer((req, res, request) => {
    if (request.path === PATHS.authorize && request.method === 'GET') return authorize(res, request);
    const oauth = request.path === PATHS.token;
    const fault = takeFault();
    if (fault && applyFault(fault, req, res, request, oauth)) return;
    if (oauth) return token(res, request);
    if (request.path === PATHS.accountNumbers && request.method === 'GET') return accountNumbers(res, request);
    sendJson(res, 404, apiErrorBody(404, 'Not Found', `No route for ${request.method} ${request.path}`));
  });

  return {
    broker: 'schwab',
    url: server.url,
    calls: server.calls,
    fault(mode: FakeFaultMode, faultOptions: FakeFaultOptions = {}) {
      faults.push({ mode, remaining: Math.max(1, faultOptions.times ?? 1), ...(faultOptions.retryAfterSeconds !== undefined ? { retryAfterSeconds: faultOptions.retryAfterSeconds } : {}) });
    },
    async browserLogin(authorizeUrl: string) {
      if (!authorizeUrl.startsWith(`${server.url}${PATHS.authorize}?`)) {
        throw new Error(`fake Schwab: the authorize URL does not point at this fake (${server.url}${PATHS.authorize}); check the adapter's baseUrl.`);
      }
      const response = await fetch(authorizeUrl, { redirect: 'manual' });
      const location = response.headers.get('location');
      if (response.status !== 302 || !location) {
        throw new Error(`fake Schwab: the login page refused the authorize URL (HTTP ${response.status}: ${await response.text()}).`);
      }
      return location;
    },
    issueSession({ grantedAt } = {}) {
      const now = clock.now();
      const session = openSession(grantedAt ?? now);
      const t = grantTokens(session, now);
      return {
        accessToken: t.accessToken,
        refreshToken: t.refreshToken,
        idToken: t.idToken,
        issuedAt: now,
        expiresAt: now + t.expiresIn * 1000,
        grantedAt: session.grantedAt,
        refreshExpiresAt: session.grantedAt + refreshLifetimeMs,
      };
    },
    tokenRequests(grant) {
      return server.calls.filter((c) => c.path === PATHS.token && (grant === undefined || c.form?.grant_type === grant));
    },
    revokeAccessToken(accessToken) {
      const grant = access.get(accessToken);
      if (grant) grant.revoked = true;
    },
    revokeRefreshToken(refreshToken) {
      const session = sessions.get(refreshToken);
      if (session) session.revoked = true;
    },
    issuedSecrets: () => [...minted],
    close: () => server.close(),
  };
}
