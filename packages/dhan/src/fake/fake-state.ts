import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { base32Decode } from './fake-totp';

export interface FakeDhanClient {
  clientId: string;
  /** Dhan PIN the fake expects on generateAccessToken. */
  pin: string;
  /** Base32 TOTP setup key; without one, TOTP is "not enabled" and generateAccessToken refuses. */
  totpSecret?: string;
  name?: string;
  ucc?: string;
}

export interface FakeDhanApp {
  /** `app_id` header. */
  apiKey: string;
  /** `app_secret` header. */
  apiSecret: string;
  clientId: string;
  /** Where the consent login redirects with `?tokenId=` (registered with the key on Dhan Web). */
  redirectUrl: string;
}

/** How a token came to be: generated on Dhan Web, PIN + TOTP, consent login, or RenewToken. */
export type FakeTokenSource = 'web' | 'totp' | 'consent' | 'renew';

export interface FakeTokenRecord {
  token: string;
  clientId: string;
  source: FakeTokenSource;
  issuedAt: number;
  expiresAt: number;
  revokedAt?: number;
  revokedBecause?: 'replaced' | 'renewed' | 'revoked';
}

interface Consent {
  consentAppId: string;
  apiKey: string;
  clientId: string;
  createdAt: number;
  used: boolean;
}

interface TokenId {
  tokenId: string;
  apiKey: string;
  clientId: string;
  used: boolean;
}

/** The broker's side of the world: clients, apps, consents and issued tokens (one active per client). */
export class FakeDhanState {
  readonly clients = new Map<string, FakeDhanClient & { key?: Buffer }>();
  readonly apps = new Map<string, FakeDhanApp>();
  readonly tokens = new Map<string, FakeTokenRecord>();
  readonly consents = new Map<string, Consent>();
  readonly tokenIds = new Map<string, TokenId>();
  readonly #active = new Map<string, FakeTokenRecord>();
  readonly #signingKey = randomBytes(32);

  constructor(
    clients: FakeDhanClient[],
    apps: FakeDhanApp[],
    readonly lifetimeMs: number,
  ) {
    for (const c of clients) this.clients.set(c.clientId, { ...c, ...(c.totpSecret ? { key: base32Decode(c.totpSecret) } : {}) });
    for (const a of apps) this.apps.set(a.apiKey, { ...a });
  }

  /** Issues a new token and revokes the client's previous one ("only one active token at a time"). */
  mint(clientId: string, source: FakeTokenSource, now: number, replacedBecause: 'replaced' | 'renewed' = 'replaced'): FakeTokenRecord {
    const previous = this.#active.get(clientId);
    if (previous && previous.revokedAt === undefined) {
      previous.revokedAt = now;
      previous.revokedBecause = replacedBecause;
    }
    const expiresAt = now + this.lifetimeMs;
    const record: FakeTokenRecord = { token: this.#jwt(clientId, now, expiresAt), clientId, source, issuedAt: now, expiresAt };
    this.tokens.set(record.token, record);
    this.#active.set(clientId, record);
    return record;
  }

  /** The record of a token the fake accepts right now, else undefined. */
  live(token: string | undefined, now: number): FakeTokenRecord | undefined {
    if (token === undefined) return undefined;
    const record = this.tokens.get(token);
    if (!record || record.revokedAt !== undefined || record.expiresAt <= now) return undefined;
    return record;
  }

  revoke(token: string, now: number): boolean {
    const record = this.tokens.get(token);
    if (!record || record.revokedAt !== undefined) return false;
    record.revokedAt = now;
    record.revokedBecause = 'revoked';
    return true;
  }

  active(clientId: string): FakeTokenRecord | undefined {
    return this.#active.get(clientId);
  }

  createConsent(app: FakeDhanApp, now: number): Consent {
    const consent: Consent = { consentAppId: randomUUID(), apiKey: app.apiKey, clientId: app.clientId, createdAt: now, used: false };
    this.consents.set(consent.consentAppId, consent);
    return consent;
  }

  /** The human finished the login page: a one-time tokenId for the app's redirect. */
  completeConsent(consent: Consent): TokenId {
    consent.used = true;
    const entry: TokenId = { tokenId: randomUUID(), apiKey: consent.apiKey, clientId: consent.clientId, used: false };
    this.tokenIds.set(entry.tokenId, entry);
    return entry;
  }

  // Shaped like Dhan's tokens (HS512 JWT with iss/dhanClientId/exp); `jti` keeps two tokens minted
  // in the same second distinct, which real tokens need not show.
  #jwt(clientId: string, issuedAt: number, expiresAt: number): string {
    const header = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'HS512' })).toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({
        iss: 'dhan',
        partnerId: '',
        exp: Math.floor(expiresAt / 1000),
        iat: Math.floor(issuedAt / 1000),
        tokenConsumerType: 'SELF',
        webhookUrl: '',
        dhanClientId: clientId,
        jti: randomBytes(8).toString('hex'),
      }),
    ).toString('base64url');
    const signature = createHmac('sha512', this.#signingKey).update(`${header}.${payload}`).digest('base64url');
    return `${header}.${payload}.${signature}`;
  }
}
