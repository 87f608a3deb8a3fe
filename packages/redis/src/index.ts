export { createRedisTokenStore, type RedisTokenStore, type RedisTokenStoreOptions } from './redis-store';
export { createRedisLock, type RedisLock, type RedisLockOptions } from './redis-lock';
export { createKeyspace, DEFAULT_KEY_PREFIX, type Keyspace } from './keys';
export { parseChange } from './change-feed';
export { RECORD_FORMAT } from './record-codec';
export type { RedisClient } from './redis-client';
