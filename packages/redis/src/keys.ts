import { InvalidConfigError, isValidAccountId } from '@tokens/core';

/** The default `keyPrefix` of stores and locks. Use the same prefix for both (see {@link Keyspace}). */
export const DEFAULT_KEY_PREFIX = 'tokens';

// No glob characters (SCAN MATCH) and no braces (hash tags), so a prefix can never change
// which slot an account lands in or which keys `list()` matches.
const PREFIX = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Where everything of one prefix lives. The account id is the hash tag, so every key of one
 * account sits in one Cluster slot and a Lua script may touch them together:
 *
 * | key                              | type   | holds                                          |
 * |----------------------------------|--------|------------------------------------------------|
 * | `<prefix>:{<account>}:record`    | hash   | the stored token set (see record-codec.ts)     |
 * | `<prefix>:{<account>}:lock`      | string | lease owner nonce, `PX` = lease TTL            |
 * | `<prefix>:{<account>}:fence`     | string | the lock's fencing counter (`INCR`), no TTL    |
 * | `<prefix>:{<account>}:record:corrupt:<ms>` | any | a quarantined unreadable record     |
 * | channel `<prefix>:changes`       | pubsub | `{"kind":"put","accountId":…,"version":…}`     |
 */
export interface Keyspace {
  readonly prefix: string;
  readonly channel: string;
  record(accountId: string): string;
  lock(accountId: string): string;
  fence(accountId: string): string;
  quarantine(accountId: string, at: number, attempt: number): string;
  /** SCAN MATCH pattern of every record key (without the client's own ioredis `keyPrefix`). */
  readonly recordPattern: string;
  /** The account of a record key, or undefined for any other key. */
  accountOfRecordKey(key: string): string | undefined;
}

export function assertKeyPrefix(prefix: unknown, path = 'keyPrefix'): asserts prefix is string {
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw new InvalidConfigError({
      issues: [
        {
          path,
          message: `must be 1–64 characters from A-Z, a-z, 0-9, ".", "_", "-" and ":" (no braces or glob characters), e.g. "tokens" or "tokens:prod"; got ${JSON.stringify(String(prefix).slice(0, 40))}.`,
        },
      ],
    });
  }
}

export function createKeyspace(prefix: string = DEFAULT_KEY_PREFIX): Keyspace {
  assertKeyPrefix(prefix);
  const head = `${prefix}:{`;
  const recordTail = '}:record';
  return {
    prefix,
    channel: `${prefix}:changes`,
    record: (id) => `${head}${id}${recordTail}`,
    lock: (id) => `${head}${id}}:lock`,
    fence: (id) => `${head}${id}}:fence`,
    quarantine: (id, at, attempt) => `${head}${id}${recordTail}:corrupt:${at}${attempt > 0 ? `-${attempt}` : ''}`,
    recordPattern: `${head}*${recordTail}`,
    accountOfRecordKey(key) {
      if (!key.startsWith(head) || !key.endsWith(recordTail)) return undefined;
      const id = key.slice(head.length, -recordTail.length);
      return isValidAccountId(id) ? id : undefined;
    },
  };
}
