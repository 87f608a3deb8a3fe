import { createMarketCalendar, createSystemClock, createTokenManager, type AccountStatus, type TokenManager } from '@tokens/core';
import { buildAccounts } from '../accounts';
import type { LoadedConfig } from '../config/load';
import { createStoreBundle } from '../store';

/**
 * Works on the store itself when no daemon runs: the file or Redis lock keeps this safe
 * alongside other processes, exactly like an embedded manager.
 */
export async function withDirectManager<T>(loaded: LoadedConfig, accountId: string, fn: (m: TokenManager) => Promise<T>): Promise<T> {
  const bundle = await createStoreBundle(loaded.config.store, loaded.baseDir, { failFast: true });
  const manager = createTokenManager({ store: bundle.store, lock: bundle.lock, calendar: createMarketCalendar() });
  try {
    const built = buildAccounts(loaded.config, createSystemClock());
    const account = built.get(accountId);
    if (!account) throw Object.assign(new Error(`Unknown account "${accountId}". Accounts in this config: ${[...built.keys()].join(', ') || 'none'}.`), { exitCode: 2 });
    await manager.addAccount(account.manager);
    return await fn(manager);
  } finally {
    await manager.stop({ drainMs: 5_000 });
    await bundle.close();
  }
}

/** Status straight from the store: no manager, so nothing is refreshed as a side effect. */
export async function directStatus(loaded: LoadedConfig): Promise<Array<Omit<Partial<AccountStatus>, 'state'> & { accountId: string; broker: string; state: string }>> {
  const bundle = await createStoreBundle(loaded.config.store, loaded.baseDir, { failFast: true });
  try {
    const now = createSystemClock().now();
    const out = [];
    for (const [id, account] of Object.entries(loaded.config.accounts)) {
      const stored = await bundle.store.get(id).catch(() => undefined);
      const t = stored?.tokenSet;
      out.push({
        accountId: id,
        broker: account.broker,
        state: !t ? 'missing' : t.expiresAt > now ? 'valid' : 'expired',
        ...(t ? { expiresAt: t.expiresAt, version: stored!.version, tokenValid: t.expiresAt > now } : { tokenValid: false }),
        ...(t?.refreshExpiresAt ? { refreshExpiresAt: t.refreshExpiresAt } : {}),
      });
    }
    return out;
  } finally {
    await bundle.close();
  }
}
