import { randomBytes } from 'node:crypto';
import type { ClockV1 } from '@tokens/core';
import { IST_OFFSET_MS, nextIstTime } from '@tokens/broker-utils';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** 32 alphanumerics, the shape of Kite's request, access and public tokens. */
export function randomKiteToken(length = 32): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return out;
}

/** Kite's `login_time`: "YYYY-MM-DD HH:MM:SS" in IST, no offset. */
export function formatKiteTime(at: number): string {
  return new Date(at + IST_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

export interface FakeKiteSession {
  apiKey: string;
  userId: string;
  accessToken: string;
  publicToken: string;
  enctoken: string;
  /** Empty for apps not approved for refresh tokens, like the real API. */
  refreshToken: string;
  loginTime: number;
  mintedAt: number;
  /** The next 06:00 IST after minting, by the fake's clock. */
  expiresAt: number;
  revoked: boolean;
}

interface RequestToken {
  apiKey: string;
  userId: string;
  issuedAt: number;
  used: boolean;
}

export type RequestTokenCheck = 'ok' | 'unknown' | 'used' | 'expired';

/** Request tokens, sessions and refresh tokens of the fake, all timed by the injected clock. */
export class FakeKiteState {
  readonly #requestTokens = new Map<string, RequestToken>();
  readonly #sessions = new Map<string, FakeKiteSession>();
  readonly #refreshTokens = new Map<string, { apiKey: string; userId: string; revoked: boolean }>();

  constructor(
    readonly clock: ClockV1,
    readonly requestTokenTtlMs: number,
  ) {}

  issueRequestToken(apiKey: string, userId: string): string {
    const token = randomKiteToken();
    this.#requestTokens.set(token, { apiKey, userId, issuedAt: this.clock.now(), used: false });
    return token;
  }

  /** Single use: the first check of a live token consumes it. */
  consumeRequestToken(token: string, apiKey: string): { check: RequestTokenCheck; entry?: RequestToken } {
    const entry = this.#requestTokens.get(token);
    if (!entry || entry.apiKey !== apiKey) return { check: 'unknown' };
    if (entry.used) return { check: 'used' };
    if (this.clock.now() - entry.issuedAt > this.requestTokenTtlMs) return { check: 'expired' };
    entry.used = true;
    return { check: 'ok', entry };
  }

  mint(o: { apiKey: string; userId: string; loginTime?: number; refreshToken?: string | boolean }): FakeKiteSession {
    const now = this.clock.now();
    let refreshToken = '';
    if (typeof o.refreshToken === 'string') refreshToken = o.refreshToken;
    else if (o.refreshToken === true) {
      refreshToken = randomKiteToken();
      this.#refreshTokens.set(refreshToken, { apiKey: o.apiKey, userId: o.userId, revoked: false });
    }
    const session: FakeKiteSession = {
      apiKey: o.apiKey,
      userId: o.userId,
      accessToken: randomKiteToken(),
      publicToken: randomKiteToken(),
      enctoken: randomKiteToken(48),
      refreshToken,
      loginTime: o.loginTime ?? now,
      mintedAt: now,
      expiresAt: nextIstTime(now, '06:00'),
      revoked: false,
    };
    this.#sessions.set(session.accessToken, session);
    return session;
  }

  /** The live session for this key and token, or undefined when unknown, revoked or past 06:00 IST. */
  active(apiKey: string, accessToken: string): FakeKiteSession | undefined {
    const s = this.#sessions.get(accessToken);
    if (!s || s.apiKey !== apiKey || s.revoked || this.clock.now() >= s.expiresAt) return undefined;
    return s;
  }

  /** A live refresh token's owner, or undefined. */
  refreshOwner(apiKey: string, refreshToken: string): { userId: string } | undefined {
    const r = this.#refreshTokens.get(refreshToken);
    return r && r.apiKey === apiKey && !r.revoked ? r : undefined;
  }

  revokeAccess(apiKey: string, accessToken: string): boolean {
    const s = this.active(apiKey, accessToken);
    if (!s) return false;
    s.revoked = true;
    return true;
  }

  revokeRefresh(apiKey: string, refreshToken: string): boolean {
    const r = this.#refreshTokens.get(refreshToken);
    if (!r || r.apiKey !== apiKey || r.revoked) return false;
    r.revoked = true;
    return true;
  }

  /** Kills every live session of a user, like a logout from Kite web ("master logout"). */
  masterLogout(userId: string): number {
    let n = 0;
    for (const s of this.#sessions.values()) {
      if (s.userId === userId && !s.revoked && this.clock.now() < s.expiresAt) {
        s.revoked = true;
        n++;
      }
    }
    return n;
  }

  sessions(): FakeKiteSession[] {
    return [...this.#sessions.values()].map((s) => ({ ...s }));
  }
}
