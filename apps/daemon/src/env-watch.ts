import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { jwtExpiresAt } from '@tokens/broker-utils';
import { nextWallClock, Secret, type ClockV1, type ExpiryRuleV1, type TokenManager } from '@tokens/core';
import type { Logger } from 'pino';
import type { BuiltAccount } from './accounts';

/** Reads one key from `.env` text (quotes and `export ` handled). */
export function readEnvKey(text: string, key: string): string | undefined {
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m || m[1] !== key) continue;
    let value = m[2]!.trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, '');
    return value;
  }
  return undefined;
}

/** When a token pasted by hand dies, from the broker's rule (Kite: the next 06:00 IST). */
export function expiryFor(rule: ExpiryRuleV1, token: string, now: number): number {
  switch (rule.kind) {
    case 'daily':
      return nextWallClock(now, rule.at.time, rule.at.timeZone);
    case 'fixed-lifetime':
      return now + rule.lifetimeMs;
    case 'jwt-exp':
      return jwtExpiresAt(token) ?? now + 3_600_000;
    case 'expires-in':
      return now + 3_600_000;
  }
}

const POLL_MS = 250;

/**
 * The Kite setup's manual path: a human (or a script) writes a fresh token into `.env`; within
 * a second the daemon stores it, checks it with the broker, and pushes it to consumers.
 */
export function createEnvWatchers(o: { manager: () => TokenManager; accounts: () => Map<string, BuiltAccount>; logger: Logger; clock: ClockV1 }) {
  const watched = new Map<string, { path: string; key: string; listener: () => void }>();

  const check = async (accountId: string, path: string, key: string) => {
    const account = o.accounts().get(accountId);
    if (!account) return;
    let value: string | undefined;
    try {
      value = readEnvKey(readFileSync(path, 'utf8'), key);
    } catch {
      return;
    }
    if (!value) return;
    const manager = o.manager();
    const current = await manager.getTokenSet(accountId).catch(() => undefined);
    if (current?.accessToken.reveal() === value) return; // our own env sink wrote it, or nothing changed
    const now = o.clock.now();
    try {
      await manager.importTokenSet(accountId, { accessToken: new Secret(value), issuedAt: now, expiresAt: expiryFor(account.manager.adapter.expiryRule, value, now) });
      o.logger.info({ accountId, path }, 'adopted a token written into .env');
      if (account.manager.adapter.doValidate) await manager.validate(accountId).catch(() => undefined);
    } catch (error) {
      o.logger.warn({ accountId, path, code: (error as { code?: string }).code }, 'token in .env was not accepted');
    }
  };

  const refresh = () => {
    const wanted = new Map<string, { path: string; key: string }>();
    for (const [id, a] of o.accounts()) if (a.config.watchEnv) wanted.set(id, a.config.watchEnv);
    for (const [id, w] of watched) {
      const next = wanted.get(id);
      if (!next || next.path !== w.path || next.key !== w.key) {
        unwatchFile(w.path, w.listener);
        watched.delete(id);
      }
    }
    for (const [id, w] of wanted) {
      if (watched.has(id)) continue;
      // Polling, not fs.watch: editors replace files on save, which inotify watchers can lose.
      const listener = () => void check(id, w.path, w.key);
      watchFile(w.path, { interval: POLL_MS, persistent: false }, listener);
      watched.set(id, { ...w, listener });
    }
  };
  refresh();
  return {
    refresh,
    close() {
      for (const w of watched.values()) unwatchFile(w.path, w.listener);
      watched.clear();
    },
  };
}

export type EnvWatchers = ReturnType<typeof createEnvWatchers>;
