import { EventEmitter } from 'node:events';
import {
  StoreConflictError,
  assertAccountId,
  deserializeTokenSet,
  serializeTokenSet,
  type StoreChangeV1,
  type StoredTokenV1,
  type TokenStoreV1,
} from '@tokens/core';

/** A shared "backend": JSON strings by account id, plus a change bus (think Redis + pub/sub). */
export interface JsonBackend {
  rows: Map<string, string>;
  bus: EventEmitter;
}

export function createJsonBackend(): JsonBackend {
  return { rows: new Map(), bus: new EventEmitter() };
}

interface Row {
  accountId: string;
  broker: string;
  version: number;
  updatedAt: number;
  fencingToken?: number;
  tokenSet: ReturnType<typeof serializeTokenSet>;
}

/** What the store supports (a plain key-value backend has neither). Default: both. */
export interface JsonMapStoreFeatures {
  fencing?: boolean;
  watch?: boolean;
}

/**
 * A test-only store over a shared backend, so the suite's back door (`raw`) and
 * cross-instance options (`externalWrite`) have something real to read and write through.
 * `bugs` plants defects for the tests that check the suite catches them.
 */
export function createJsonMapStore(
  backend: JsonBackend,
  bugs: { cacheOnly?: boolean; enforcesUndeclaredFencing?: boolean } = {},
  features: JsonMapStoreFeatures = {},
): TokenStoreV1 {
  const fencing = features.fencing ?? true;
  const watch = features.watch ?? true;
  const cache = new Map<string, string>();
  const rows = bugs.cacheOnly ? cache : backend.rows;
  const read = (id: string): StoredTokenV1 | undefined => {
    const text = rows.get(id);
    if (text === undefined) return undefined;
    const row = JSON.parse(text) as Row;
    const out: StoredTokenV1 = { ...row, tokenSet: deserializeTokenSet(row.tokenSet) };
    if (row.fencingToken === undefined) delete out.fencingToken;
    return out;
  };
  const listeners = new Map<(c: StoreChangeV1) => void, (c: StoreChangeV1) => void>();
  const subscribe = (listener: (c: StoreChangeV1) => void): (() => void) => {
    const wrapped = (c: StoreChangeV1) => setImmediate(() => listener(c));
    listeners.set(listener, wrapped);
    backend.bus.on('change', wrapped);
    return () => {
      backend.bus.off('change', wrapped);
      listeners.delete(listener);
    };
  };
  return {
    specificationVersion: 'v1',
    capabilities: { watch, fencing, durable: false },
    async get(id) {
      assertAccountId(id);
      return read(id);
    },
    async put(id, input, { expectedVersion, fencingToken }) {
      assertAccountId(id);
      const current = read(id);
      if ((current?.version ?? 0) !== expectedVersion) {
        throw new StoreConflictError({ accountId: id, expectedVersion, actualVersion: current?.version });
      }
      const fences = fencing || bugs.enforcesUndeclaredFencing;
      if (fences && fencingToken !== undefined && current?.fencingToken !== undefined && fencingToken < current.fencingToken) {
        throw new StoreConflictError({ accountId: id, message: `Stale fencing token for "${id}".` });
      }
      const row: Row = {
        accountId: id,
        broker: input.broker,
        version: expectedVersion + 1,
        updatedAt: Date.now(),
        tokenSet: serializeTokenSet(input.tokenSet),
      };
      const fence = fences ? (fencingToken ?? current?.fencingToken) : undefined;
      if (fence !== undefined) row.fencingToken = fence;
      rows.set(id, JSON.stringify(row));
      backend.bus.emit('change', { kind: 'put', accountId: id, version: row.version });
      return read(id)!;
    },
    async list() {
      return [...rows.keys()];
    },
    async delete(id, opts) {
      assertAccountId(id);
      const current = read(id);
      if (!current) return false;
      if (opts?.expectedVersion !== undefined && opts.expectedVersion !== current.version) {
        throw new StoreConflictError({ accountId: id, expectedVersion: opts.expectedVersion, actualVersion: current.version });
      }
      rows.delete(id);
      backend.bus.emit('change', { kind: 'delete', accountId: id });
      return true;
    },
    ...(watch ? { watch: subscribe } : {}),
    async close() {
      for (const wrapped of listeners.values()) backend.bus.off('change', wrapped);
      listeners.clear();
    },
  };
}
