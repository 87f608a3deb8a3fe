import { describe, expect, it } from 'vitest';
import { InvalidConfigError, InvalidInputError, Secret } from '@tokens/core';
import { createFakeClock } from '@tokens/core/testing';
import { canaryCheck } from '@tokens/test-suite';
import { createLoginLinks, createMemoryNonceStore, signState, verifyState, type UsedNonceStore } from '../src/index';

const SECRET = 'login-link-canary-secret-0123456789abcdef';
const MIN = 60_000;

function setup(o: { ttlMs?: number; store?: UsedNonceStore } = {}) {
  const clock = createFakeClock(Date.UTC(2026, 0, 5, 3, 0));
  const links = createLoginLinks({ secret: new Secret(SECRET), baseUrl: 'https://tokens.example.com/ops/', clock, ...o });
  return { clock, links };
}

const sOf = (url: string) => new URL(url).searchParams.get('s')!;

describe('createLoginLinks', () => {
  it('makes /login/:account?s=… links that verify once for that account', async () => {
    const { links } = setup();
    const url = links.linkFor('schwab-main');
    expect(url).toMatch(/^https:\/\/tokens\.example\.com\/ops\/login\/schwab-main\?s=v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(await links.check('schwab-main', sOf(url))).toMatchObject({ ok: true, accountId: 'schwab-main' });
    expect(await links.verify('schwab-main', sOf(url))).toEqual({ ok: true, accountId: 'schwab-main', expiresAt: Date.UTC(2026, 0, 5, 3, 30) });
    expect(canaryCheck([SECRET], url)).toEqual([]);
  });

  it('a reused link is refused, by check and by verify', async () => {
    const { links } = setup();
    const s = sOf(links.linkFor('schwab-main'));
    await links.verify('schwab-main', s);
    expect(await links.verify('schwab-main', s)).toEqual({ ok: false, reason: 'reused' });
    expect(await links.check('schwab-main', s)).toEqual({ ok: false, reason: 'reused' });
    // Two links for the same account are independent.
    expect(await links.verify('schwab-main', sOf(links.linkFor('schwab-main')))).toMatchObject({ ok: true });
  });

  it('an expired link is refused (30 minutes by default, or the configured ttl)', async () => {
    const { clock, links } = setup();
    const s = sOf(links.linkFor('kite-1'));
    await clock.advance(30 * MIN - 1);
    expect(await links.check('kite-1', s)).toMatchObject({ ok: true });
    await clock.advance(1);
    expect(await links.verify('kite-1', s)).toEqual({ ok: false, reason: 'expired' });
    const short = setup({ ttlMs: 5 * MIN });
    const s2 = sOf(short.links.linkFor('kite-1'));
    await short.clock.advance(5 * MIN);
    expect(await short.links.verify('kite-1', s2)).toEqual({ ok: false, reason: 'expired' });
  });

  it('a tampered link is refused: altered payload, altered or re-spelt signature, junk, another secret', async () => {
    const { links } = setup();
    const s = sOf(links.linkFor('schwab-main'));
    const [v, payload, sig] = s.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), e: Date.UTC(2030, 0, 1) })).toString('base64url');
    const lastChar = sig.at(-1) === 'A' ? 'B' : 'A';
    for (const bad of [`${v}.${forged}.${sig}`, `${v}.${payload}.${sig.slice(0, -1)}${lastChar}`, `${v}.${payload}.${sig}x`, 'garbage', '', `v2.${payload}.${sig}`]) {
      expect(await links.verify('schwab-main', bad), bad).toEqual({ ok: false, reason: 'tampered' });
    }
    const other = createLoginLinks({ secret: `${SECRET}-other`, baseUrl: 'https://tokens.example.com' });
    expect(await other.verify('schwab-main', s)).toEqual({ ok: false, reason: 'tampered' });
    expect(await links.verify('schwab-main', null)).toEqual({ ok: false, reason: 'tampered' });
  });

  it('a link for one account does not open another', async () => {
    const { links } = setup();
    const s = sOf(links.linkFor('schwab-main'));
    expect(await links.verify('schwab-alt', s)).toEqual({ ok: false, reason: 'wrong-account' });
    // The refused attempt did not spend it.
    expect(await links.verify('schwab-main', s)).toMatchObject({ ok: true });
  });

  it('OAuth states are single-use, expire, carry the account, and are not interchangeable with links', async () => {
    const { clock, links } = setup();
    const state = links.oauthState('schwab-main');
    expect(await links.verify('schwab-main', state)).toEqual({ ok: false, reason: 'tampered' });
    expect(await links.verifyOAuthState(sOf(links.linkFor('schwab-main')))).toEqual({ ok: false, reason: 'tampered' });
    expect(await links.verifyOAuthState(state)).toMatchObject({ ok: true, accountId: 'schwab-main' });
    expect(await links.verifyOAuthState(state)).toEqual({ ok: false, reason: 'reused' });
    const later = links.oauthState('schwab-main');
    await clock.advance(31 * MIN);
    expect(await links.verifyOAuthState(later)).toEqual({ ok: false, reason: 'expired' });
  });

  it('uses the injected nonce store (e.g. Redis for several daemons)', async () => {
    const seen = new Set<string>();
    const store: UsedNonceStore = { markUsed: async (nonce) => (seen.has(nonce) ? false : (seen.add(nonce), true)) };
    const a = setup({ store });
    const b = setup({ store });
    const s = sOf(a.links.linkFor('dhan-1'));
    expect(await a.links.verify('dhan-1', s)).toMatchObject({ ok: true });
    expect(await b.links.verify('dhan-1', s)).toEqual({ ok: false, reason: 'reused' });
  });

  it('the memory store forgets nonces once they expire', () => {
    const clock = createFakeClock(0);
    const store = createMemoryNonceStore({ clock });
    expect(store.markUsed('n1', 10 * MIN)).toBe(true);
    expect(store.markUsed('n1', 10 * MIN)).toBe(false);
    clock.set(11 * MIN);
    expect(store.markUsed('n2', 20 * MIN)).toBe(true);
    expect(store.size).toBe(1);
  });

  it('refuses a short secret, a bad base URL and an invalid account id', () => {
    expect(() => createLoginLinks({ secret: 'short', baseUrl: 'https://x.example' })).toThrow(InvalidConfigError);
    expect(() => createLoginLinks({ secret: SECRET, baseUrl: 'tokens.example.com' })).toThrow(InvalidConfigError);
    expect(() => setup().links.linkFor('../etc/passwd')).toThrow(InvalidInputError);
  });
});

describe('signState / verifyState', () => {
  it('round-trips claims, checks purpose, account and expiry', () => {
    const state = signState({ secret: SECRET, accountId: 'schwab-main', expiresAt: 1_000, nonce: 'n-1' });
    expect(verifyState({ secret: SECRET, state, now: 999 })).toEqual({ ok: true, purpose: 'oauth', accountId: 'schwab-main', expiresAt: 1_000, nonce: 'n-1' });
    expect(verifyState({ secret: SECRET, state, now: 999, accountId: 'other' })).toEqual({ ok: false, reason: 'wrong-account' });
    expect(verifyState({ secret: SECRET, state, now: 999, purpose: 'login-link' })).toEqual({ ok: false, reason: 'tampered' });
    expect(verifyState({ secret: SECRET, state, now: 1_000 })).toEqual({ ok: false, reason: 'expired' });
    expect(verifyState({ secret: SECRET, state: 'x'.repeat(5_000), now: 0 })).toEqual({ ok: false, reason: 'tampered' });
  });
});
