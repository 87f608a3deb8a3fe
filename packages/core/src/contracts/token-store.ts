import type { StoredTokenV1, TokenSetV1 } from './token-set';

export interface PutOptionsV1 {
  /**
   * Compare-and-set: the version the caller last saw. `0` means "must not exist yet".
   * A mismatch throws StoreConflictError and writes nothing.
   */
  expectedVersion: number;
  /**
   * Fencing token of the caller's lock lease. Stores that support fencing refuse a write whose
   * token is lower than the highest one they accepted for the account.
   */
  fencingToken?: number;
}

export interface PutInputV1 {
  broker: string;
  tokenSet: TokenSetV1;
}

export type StoreChangeV1 =
  | { kind: 'put'; accountId: string; version: number }
  | { kind: 'delete'; accountId: string };

export interface StoreCapabilitiesV1 {
  /** Reports changes made by other processes through `watch`. */
  watch: boolean;
  /** Enforces fencing tokens on `put`. */
  fencing: boolean;
  /** Data outlives the process. */
  durable: boolean;
}

/** Where token sets live. Every write is compare-and-set on `version`. */
export interface TokenStoreV1 {
  readonly specificationVersion: 'v1';
  readonly capabilities: StoreCapabilitiesV1;
  get(accountId: string): Promise<StoredTokenV1 | undefined>;
  /** Returns the stored record with its new version. */
  put(accountId: string, input: PutInputV1, options: PutOptionsV1): Promise<StoredTokenV1>;
  /** Account ids with a stored token set. */
  list(): Promise<string[]>;
  /** Resolves true when something was deleted. */
  delete(accountId: string, options?: { expectedVersion?: number }): Promise<boolean>;
  /** Subscribes to changes (including this process's own). Returns an unsubscribe function. */
  watch?(listener: (change: StoreChangeV1) => void): () => void;
  close?(): Promise<void>;
}
