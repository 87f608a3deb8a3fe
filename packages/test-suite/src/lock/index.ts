import type { TestFunction } from '../types';
import { registerGroups } from '../internal';
import { lockBasicTests, lockExclusionTests, lockFencingTests } from './basic-tests';
import { lockAbortTests, lockExpiryTests, lockOwnershipTests, lockTimeoutTests } from './time-tests';
import type { LockFactory, LockGroup, LockSuiteOptions } from './options';

export { lockBasicTests, lockExclusionTests, lockFencingTests } from './basic-tests';
export { lockAbortTests, lockExpiryTests, lockOwnershipTests, lockTimeoutTests } from './time-tests';
export type { LockFactory, LockGroup, LockSuiteOptions } from './options';

/** Every group of the lock suite, by name. */
export const lockGroups = {
  basic: lockBasicTests,
  exclusion: lockExclusionTests,
  fencing: lockFencingTests,
  timeout: lockTimeoutTests,
  expiry: lockExpiryTests,
  ownership: lockOwnershipTests,
  abort: lockAbortTests,
} satisfies Record<LockGroup, (test: TestFunction, factory: LockFactory, options?: LockSuiteOptions) => void>;

/**
 * Registers the whole `LockV1` conformance suite on the caller's runner.
 *
 * ```ts
 * const clocks = new WeakMap<LockV1, FakeClock>();
 * lockConformance(it, () => { const clock = createFakeClock(); const lock = createMemoryLock({ clock }); clocks.set(lock, clock); return lock; },
 *   { expire: { advance: (ms, lock) => clocks.get(lock)!.advance(ms) } });
 * ```
 */
export function lockConformance(test: TestFunction, factory: LockFactory, options: LockSuiteOptions = {}): void {
  registerGroups(lockGroups, test, factory, options);
}
