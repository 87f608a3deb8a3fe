export interface AcquireOptionsV1 {
  /** Lease length. A holder that dies loses the lease after this long. */
  ttlMs: number;
  /** How long to wait for the lock before throwing LockTimeoutError. Default: ttlMs. */
  waitMs?: number;
  signal?: AbortSignal;
}

export interface LeaseV1 {
  readonly accountId: string;
  /** Strictly increasing per account across every holder, process and host. */
  readonly fencingToken: number;
  /** Epoch ms when the lease lapses unless extended. */
  readonly expiresAt: number;
  /** Extends the lease; resolves false when it was already lost. */
  extend(ttlMs: number): Promise<boolean>;
  /** Releases the lease if still held. Idempotent. */
  release(): Promise<void>;
}

/** Mutual exclusion per account with a lease and a fencing token. */
export interface LockV1 {
  readonly specificationVersion: 'v1';
  /** `process` (one process), `host` (one machine), `cluster` (many hosts). */
  readonly scope: 'process' | 'host' | 'cluster';
  acquire(accountId: string, options: AcquireOptionsV1): Promise<LeaseV1>;
  close?(): Promise<void>;
}
