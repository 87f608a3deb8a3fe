import { it } from 'vitest';
import { createMemoryLock, type LockV1 } from '@tokens/core';
import { createFakeClock, lockConformance, type FakeClock, type TestFunction } from '../src/index';

const test: TestFunction = it;

// Fake time: expiry and timeouts advance the lock's own clock; nothing sleeps.
const clocks = new WeakMap<LockV1, FakeClock>();
lockConformance(
  test,
  () => {
    const clock = createFakeClock();
    const lock = createMemoryLock({ clock });
    clocks.set(lock, clock);
    return lock;
  },
  { expire: { advance: (ms, lock) => clocks.get(lock)!.advance(ms) }, promptMs: 5_000 },
);

// Real time (system clock), with short TTLs: exercises the suite's no-advance path.
lockConformance(
  (name, fn) => test(`[real time] ${name}`, fn),
  () => createMemoryLock(),
  { shortTtlMs: 150, promptMs: 5_000, disable: { basic: true, fencing: true } },
);
