import type { StoredTokenV1 } from '../contracts/token-set';
import type { StoreChangeV1, TokenStoreV1 } from '../contracts/token-store';
import type { ClockV1 } from '../contracts/clock';
import { assertAccountId } from '../account-id';
import { StoreConflictError } from '../errors';
import { nextRecord } from './next-record';
import { createSystemClock } from '../clock/system-clock';
import { deserializeTokenSet, serializeTokenSet } from '../token-set';

export interface MemoryTokenStoreOptions {
  clock?: ClockV1;
}

/**
 * Keeps token sets in this process only. Records are copied in and out, so callers can never
 * mutate what the store holds.
 */
export function createMemoryTokenStore(options: MemoryTokenStoreOptions = {}): TokenStoreV1 {
  const clock = options.clock ?? createSystemClock();
  const records = new Map<string, StoredTokenV1>();
  const listeners = new Set<(change: StoreChangeV1) => void>();

  const copy = (r: StoredTokenV1): StoredTokenV1 => ({ ...r, tokenSet: deserializeTokenSet(serializeTokenSet(r.tokenSet)) });
  const emit = (change: StoreChangeV1) => {
    // A throwing listener must not break the store or other listeners.
    for (const l of listeners)
      queueMicrotask(() => {
        try {
          l(change);
        } catch {
          // the listener's own problem
        }
      });
  };

  return {
    specificationVersion: 'v1',
    capabilities: { watch: true, fencing: true, durable: false },
    async get(accountId) {
      assertAccountId(accountId);
      const r = records.get(accountId);
      return r ? copy(r) : undefined;
    },
    async put(accountId, input, { expectedVersion, fencingToken }) {
      assertAccountId(accountId);
      const current = records.get(accountId);
      const record = nextRecord(accountId, current, input, { expectedVersion, fencingToken }, clock.now());
      records.set(accountId, copy(record));
      emit({ kind: 'put', accountId, version: record.version });
      return copy(record);
    },
    async list() {
      return [...records.keys()].sort();
    },
    async delete(accountId, opts) {
      assertAccountId(accountId);
      const current = records.get(accountId);
      if (!current) return false;
      if (opts?.expectedVersion !== undefined && opts.expectedVersion !== current.version) {
        throw new StoreConflictError({ accountId, expectedVersion: opts.expectedVersion, actualVersion: current.version });
      }
      records.delete(accountId);
      emit({ kind: 'delete', accountId });
      return true;
    },
    watch(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
    },
  };
}
