import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';

/**
 * Dashboard sessions: an httpOnly, SameSite=Strict cookie, plus a CSRF token the page sends in
 * `X-CSRF-Token` on every mutating request. Kept in memory: a restart signs everyone out.
 */
export function createSessions(options: { now: () => number; ttlMs?: number }) {
  const ttl = options.ttlMs ?? 12 * 3_600_000;
  const sessions = new Map<string, { csrf: string; expiresAt: number }>();
  const cookieOf = (c: Context) => /(?:^|;\s*)tokens_session=([A-Za-z0-9_-]+)/.exec(c.req.header('cookie') ?? '')?.[1];
  const lookup = (c: Context) => {
    const id = cookieOf(c);
    const s = id ? sessions.get(id) : undefined;
    if (!s || s.expiresAt <= options.now()) return undefined;
    return s;
  };
  return {
    create(): { id: string; csrf: string; cookie: string } {
      for (const [k, v] of sessions) if (v.expiresAt <= options.now()) sessions.delete(k);
      const id = randomBytes(24).toString('base64url');
      const csrf = randomBytes(24).toString('base64url');
      sessions.set(id, { csrf, expiresAt: options.now() + ttl });
      return { id, csrf, cookie: `tokens_session=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(ttl / 1000)}` };
    },
    destroy(c: Context): string {
      const id = cookieOf(c);
      if (id) sessions.delete(id);
      return 'tokens_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0';
    },
    valid: (c: Context) => lookup(c) !== undefined,
    csrf: (c: Context) => lookup(c)?.csrf,
    csrfValid(c: Context): boolean {
      const s = lookup(c);
      const sent = c.req.header('x-csrf-token');
      return Boolean(s && sent && sent === s.csrf);
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
