import type { StoredTokenV1, TokenSetV1 } from '../contracts/token-set';
import { StoreConflictError } from '../errors';

/**
 * The compare-and-set every store performs, in one place: the caller's `expectedVersion` must
 * be the current version (0 = absent) and its fencing token must not be older than the last one
 * accepted. Returns the record to write; throws StoreConflictError and writes nothing otherwise.
 */
export function nextRecord(
  accountId: string,
  current: StoredTokenV1 | undefined,
  input: { broker: string; tokenSet: TokenSetV1 },
  options: { expectedVersion: number; fencingToken?: number },
  now: number,
): StoredTokenV1 {
  const actual = current?.version ?? 0;
  if (actual !== options.expectedVersion) {
    throw new StoreConflictError({ accountId, expectedVersion: options.expectedVersion, actualVersion: current?.version });
  }
  const { fencingToken } = options;
  if (fencingToken !== undefined && current?.fencingToken !== undefined && fencingToken < current.fencingToken) {
    throw new StoreConflictError({
      accountId,
      message: `Store refused a write for account "${accountId}" with stale fencing token ${fencingToken} (last accepted ${current.fencingToken}).`,
    });
  }
  const record: StoredTokenV1 = { accountId, broker: input.broker, version: actual + 1, tokenSet: input.tokenSet, updatedAt: now };
  const fence = fencingToken ?? current?.fencingToken;
  if (fence !== undefined) record.fencingToken = fence;
  return record;
}
