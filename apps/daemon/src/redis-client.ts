import type { Cluster, Redis, RedisOptions } from 'ioredis';
import type { RedisStoreConfig } from './config/schema';

export interface RedisConnection {
  client: Redis | Cluster;
  /** A second connection for the change feed's subscription, so health can see both. */
  subscriber: Redis | Cluster;
  /** For messages: host:port, the Sentinel master's name, or the first Cluster node. Never a password. */
  where: string;
}

/**
 * The ioredis client for the configured topology: one server (`url`), a master found through
 * Sentinel (`sentinels` + `name`; ioredis follows failovers), or a Cluster (`cluster`).
 * ioredis is loaded only here, so a single-host daemon never pays for it.
 */
export async function connectRedis(config: RedisStoreConfig, o: { failFast: boolean; closing: () => boolean }): Promise<RedisConnection> {
  const { Redis, Cluster } = await import('ioredis');
  const tls = config.tls === true ? {} : config.tls === false ? undefined : config.tls;
  const connection: RedisOptions = {
    ...(config.username ? { username: config.username } : {}),
    ...(config.password ? { password: config.password } : {}),
    ...(tls ? { tls } : {}),
    // Commands issued while Redis restarts or fails over wait for the reconnect (ioredis retries
    // with a growing delay, ~10 s for 20 tries) instead of failing at once: a refreshed token
    // whose write would otherwise fail stays in one process's memory only, and a rotated
    // refresh token must reach the store before another daemon's lease could start a refresh.
    maxRetriesPerRequest: o.failFast ? 1 : 20,
    // A command that gets no answer at all (a host that vanished without closing the
    // connection) fails after this long instead of holding a refresh forever.
    commandTimeout: 15_000,
    // disconnect() keeps a timer this long for a socket that is already gone: keep exits quick.
    disconnectTimeout: 200,
    lazyConnect: false,
  };
  // ioredis' own backoff, except that a closing bundle never reconnects.
  const retry = (times: number) => (o.closing() ? null : Math.min(times * 50, 2_000));
  // Finding the master or the cluster: a short-lived command gives up after one more try
  // (commands queued meanwhile then fail) instead of waiting for it forever.
  const discover = (times: number) => (o.failFast && times > 1 ? null : retry(times));

  if (config.cluster) {
    const first = config.cluster[0]!;
    const client = new Cluster(config.cluster, {
      redisOptions: connection,
      clusterRetryStrategy: discover,
      // With TLS, connect to the node addresses as announced (managed clusters such as
      // ElastiCache announce names their certificates carry; see the ioredis docs).
      ...(tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
    });
    return { client, subscriber: client.duplicate(), where: `cluster ${first.host}:${first.port}` };
  }
  if (config.sentinels) {
    const client = new Redis({
      ...connection,
      sentinels: config.sentinels,
      name: config.name!,
      ...(config.sentinelPassword ? { sentinelPassword: config.sentinelPassword } : {}),
      // The sentinels speak TLS when the master does.
      ...(tls ? { enableTLSForSentinelMode: true, sentinelTLS: tls } : {}),
      retryStrategy: retry,
      sentinelRetryStrategy: discover,
    });
    return { client, subscriber: client.duplicate(), where: `sentinel master "${config.name}"` };
  }
  const url = new URL(config.url!);
  const client = new Redis(config.url!, { ...connection, retryStrategy: retry });
  return { client, subscriber: client.duplicate(), where: `${url.hostname}:${url.port || 6379}` };
}
