import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { ClockV1 } from '@tokens/core';
import { generateTotp, istStartOfDay } from '@tokens/broker-utils';

const DAY_MS = 86_400_000;
const TOTP_PERIOD_MS = 30_000;
// A view session that never reaches tradeApiValidate stops counting as "a login in progress".
const VIEW_SESSION_TTL_MS = 5 * 60_000;

/** The one account the fake knows. Every field is what the adapter's settings must match. */
export interface FakeKotakCredentials {
  consumerKey: string;
  /** With country code, e.g. "+919876543210". */
  mobileNumber: string;
  ucc: string;
  /** Base32 TOTP setup key. */
  totpSecret: string;
  /** 6 digits. */
  mpin: string;
}

export interface FakeKotakSession {
  token: string;
  sid: string;
  rid: string;
  issuedAt: number;
  /** 00:00 IST after `issuedAt`: the fake ends every session at midnight IST. */
  expiresAt: number;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function randomBase32(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE32[randomInt(32)];
  return out;
}

export function defaultCredentials(): FakeKotakCredentials {
  return {
    consumerKey: `fake-ck-${randomBytes(16).toString('hex')}`,
    mobileNumber: `+919${String(randomInt(100_000_000, 999_999_999))}`,
    ucc: `X${randomBase32(4)}`,
    totpSecret: randomBase32(32),
    mpin: String(randomInt(100_000, 999_999)),
  };
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * Sessions, TOTP checks and login bookkeeping, all on the injected clock. Single session per
 * user: a successful tradeApiValidate ends every earlier trade session (what makes Kotak
 * renewals "invalidate the previous token").
 */
export class FakeKotakState {
  readonly clientId = randomUUID();
  readonly views = new Map<string, FakeKotakSession>();
  readonly trades = new Map<string, FakeKotakSession>();
  readonly usedTotpSteps = new Set<number>();
  logins = 0;
  loginAttempts = 0;
  maxConcurrentLogins = 0;

  constructor(
    readonly clock: ClockV1,
    readonly credentials: FakeKotakCredentials,
    readonly options: { jwtExp: boolean; rejectReusedTotp: boolean; totpWindow: number },
  ) {}

  now(): number {
    return this.clock.now();
  }

  /** A JWT shaped like Kotak's (RS256 header, `exp` at midnight IST); the signature is random. */
  private jwt(kind: 'View' | 'Trade', issuedAt: number, expiresAt: number): string {
    const payload: Record<string, unknown> = {
      sub: this.clientId,
      jti: randomUUID(),
      scope: kind,
      iat: Math.floor(issuedAt / 1000),
      ...(this.options.jwtExp ? { exp: Math.floor(expiresAt / 1000) } : {}),
    };
    return `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(payload)}.${randomBytes(64).toString('base64url')}`;
  }

  private session(kind: 'View' | 'Trade', sid: string = randomUUID()): FakeKotakSession {
    const issuedAt = this.now();
    const expiresAt = istStartOfDay(issuedAt) + DAY_MS;
    return { token: this.jwt(kind, issuedAt, expiresAt), sid, rid: randomUUID(), issuedAt, expiresAt };
  }

  /** True when `totp` is the code at now ± `totpWindow` steps (and, optionally, not used before). */
  checkTotp(totp: string): boolean {
    const now = this.now();
    for (let k = -this.options.totpWindow; k <= this.options.totpWindow; k++) {
      const at = now + k * TOTP_PERIOD_MS;
      if (generateTotp({ secret: this.credentials.totpSecret, now: at }).reveal() !== totp) continue;
      const step = Math.floor(at / TOTP_PERIOD_MS);
      if (this.options.rejectReusedTotp && this.usedTotpSteps.has(step)) return false;
      this.usedTotpSteps.add(step);
      return true;
    }
    return false;
  }

  private pruneViews(): void {
    const now = this.now();
    for (const [token, s] of this.views) if (now - s.issuedAt > VIEW_SESSION_TTL_MS || now >= s.expiresAt) this.views.delete(token);
  }

  /** Step 1 succeeded: a view session waits for its MPIN. */
  startLogin(): FakeKotakSession {
    this.pruneViews();
    const view = this.session('View');
    this.views.set(view.token, view);
    this.maxConcurrentLogins = Math.max(this.maxConcurrentLogins, this.views.size);
    return view;
  }

  /** The pending view session for these headers, consumed by this call. */
  takeView(token: string, sid: string): FakeKotakSession | undefined {
    this.pruneViews();
    const view = this.views.get(token);
    if (!view || view.sid !== sid) return undefined;
    this.views.delete(token);
    return view;
  }

  /** Step 2 succeeded: a trade session that replaces every earlier one. */
  completeLogin(view: FakeKotakSession): FakeKotakSession {
    const trade = this.session('Trade', view.sid);
    this.trades.clear();
    this.trades.set(trade.token, trade);
    this.logins++;
    return trade;
  }

  /** The live trade session for these headers, if any. Expired ones are dropped. */
  tradeSession(token: string | undefined, sid: string | undefined): FakeKotakSession | undefined {
    if (!token || !sid) return undefined;
    const s = this.trades.get(token);
    if (!s || s.sid !== sid) return undefined;
    if (this.now() >= s.expiresAt) {
      this.trades.delete(token);
      return undefined;
    }
    return s;
  }

  /** A trade session minted without the login calls (as if someone logged in earlier). */
  seed(): FakeKotakSession {
    const trade = this.session('Trade');
    this.trades.clear();
    this.trades.set(trade.token, trade);
    return trade;
  }
}
