import type { Cluster, Redis } from 'ioredis';
import { InvalidConfigError, scrubText, TokensError } from '@tokens/core';

/** An ioredis connection: standalone, Sentinel (`new Redis({ sentinels, name })`) or `new Cluster(...)`. */
export type RedisClient = Redis | Cluster;

export function assertClient(client: unknown, path = 'client'): asserts client is RedisClient {
  const c = client as Partial<Redis> | undefined;
  if (c == null || typeof c !== 'object' || typeof c.evalsha !== 'function' || typeof c.duplicate !== 'function') {
    throw new InvalidConfigError({ issues: [{ path, message: 'expected an ioredis client: new Redis(url), new Redis({ sentinels, name }) or new Cluster(nodes).' }] });
  }
}

export const isCluster = (client: RedisClient): client is Cluster => (client as { isCluster?: boolean }).isCluster === true;

/** ioredis' own `keyPrefix` option: applied to KEYS automatically, but not to SCAN patterns or replies. */
export const clientKeyPrefix = (client: RedisClient): string => (client.options as { keyPrefix?: string } | undefined)?.keyPrefix ?? '';

/**
 * Every key matching `pattern`. A Cluster is scanned node by node (each master holds only its
 * own slots); keys seen twice during a resharding are reported once.
 */
export async function scanKeys(client: RedisClient, pattern: string): Promise<string[]> {
  const prefix = clientKeyPrefix(client);
  const nodes: Redis[] = isCluster(client) ? client.nodes('master') : [client];
  const found = new Set<string>();
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}${pattern}`, 'COUNT', 500);
      cursor = next;
      for (const key of keys) found.add(key.startsWith(prefix) ? key.slice(prefix.length) : key);
    } while (cursor !== '0');
  }
  return [...found];
}

/** HGETALL as a plain object of Buffers, whatever ioredis' reply mapping (object or Map). */
export async function hgetallBuffers(client: RedisClient, key: string): Promise<Record<string, Buffer>> {
  const reply = (await client.hgetallBuffer(key)) as Record<string, Buffer> | Map<Buffer | string, Buffer>;
  if (reply instanceof Map) return Object.fromEntries([...reply].map(([k, v]) => [k.toString(), v]));
  return reply;
}

/**
 * A Redis failure as a retryable TokensError. ioredis errors carry the command and its
 * arguments (our token JSON included), so the original is never attached as `cause`: only its
 * name and scrubbed message are kept.
 */
export function redisError(op: string, accountId: string, error: unknown): TokensError {
  if (TokensError.isInstance(error)) return error;
  const name = error instanceof Error ? error.name : 'Error';
  const text = error instanceof Error ? scrubText(error.message).slice(0, 200) : 'non-error value thrown';
  return new TokensError({
    code: 'STORE_ERROR',
    isRetryable: true,
    message: `Redis could not ${op}${accountId ? ` account "${accountId}"` : ''} (${name}: ${text}).`,
  });
}
