import type { ClockV1 } from '@tokens/core';

/**
 * Remembers which single-use nonces were spent. Several daemons behind one public URL must
 * share one store (e.g. Redis `SET key 1 NX PXAT expiresAt`), or a link could be used once
 * per daemon.
 */
export interface UsedNonceStore {
  /**
   * Records `nonce` as used until `expiresAt` (epoch ms). Returns true when it was fresh,
   * false when it had been used already. Must be atomic.
   */
  markUsed(nonce: string, expiresAt: number): boolean | Promise<boolean>;
  /** Whether `nonce` was used already, without spending it. Optional; lets a page say "already used" early. */
  isUsed?(nonce: string): boolean | Promise<boolean>;
}

export interface MemoryNonceStore extends UsedNonceStore {
  /** Nonces currently remembered. */
  readonly size: number;
}

/**
 * The default store: a map in this process. Expired nonces are pruned as new ones arrive, so
 * memory stays proportional to the links issued in one lifetime (30 minutes by default).
 */
export function createMemoryNonceStore(options: { clock?: Pick<ClockV1, 'now'> } = {}): MemoryNonceStore {
  const now = options.clock ? () => options.clock!.now() : () => Date.now();
  const used = new Map<string, number>();
  let nextPruneAt = 0;
  return {
    markUsed(nonce, expiresAt) {
      const t = now();
      if (t >= nextPruneAt) {
        for (const [n, until] of used) if (until <= t) used.delete(n);
        nextPruneAt = t + 60_000;
      }
      const until = used.get(nonce);
      if (until !== undefined && until > t) return false;
      used.set(nonce, expiresAt);
      return true;
    },
    isUsed(nonce) {
      const until = used.get(nonce);
      return until !== undefined && until > now();
    },
    get size() {
      return used.size;
    },
  };
}
