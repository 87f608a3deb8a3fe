export type * from './contracts';
export * from './errors';
export { Secret, fingerprint, scrubText } from './secret';
export { assertAccountId, isValidAccountId } from './account-id';
export {
  assertValidTokenSet,
  deserializeTokenSet,
  normalizeTokenSet,
  serializeTokenSet,
  storedToPlain,
  type SerializedStoredToken,
  type SerializedTokenSet,
} from './token-set';
export { createSystemClock, sleep } from './clock/system-clock';
export { createMemoryTokenStore, type MemoryTokenStoreOptions } from './stores/memory-store';
export { createMemoryLock } from './locks/memory-lock';
export * from './time';
export * from './calendar';
export * from './stores/file';
export * from './locks/file-lock';
export * from './engine';
