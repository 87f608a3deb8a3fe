import { describe, expect, it } from 'vitest';
import { createMemoryLock, type ClockV1 } from '../src/index';

/**
 * Node's timers run on the loop's cached time, so a timer can fire a millisecond before
 * `Date.now()` reaches its due time. This clock does that on purpose, every time.
 */
function earlyFiringClock() {
  let now = 1_000_000;
  const timers = new Set<{ due: number; fn: () => void }>();
  const clock: ClockV1 = {
    specificationVersion: 'v1',
    now: () => now,
    setTimeout(fn, ms) {
      const t = { due: now + (ms > 1 ? ms - 1 : Math.max(0, ms)), fn };
      timers.add(t);
      return t;
    },
    clearTimeout: (h) => void timers.delete(h as never),
  };
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const next = [...timers].filter((t) => t.due <= end).sort((a, b) => a.due - b.due)[0];
      if (!next) break;
      now = Math.max(now, next.due);
      timers.delete(next);
      next.fn();
    }
    now = end;
  };
  return { clock, advance };
}

describe('memory lock', () => {
  it('hands the lock to a waiter even when the expiry timer fires before the lease has lapsed', async () => {
    const { clock, advance } = earlyFiringClock();
    const lock = createMemoryLock({ clock });
    const old = await lock.acquire('acct', { ttlMs: 150 });
    let got: number | undefined;
    const waiting = lock.acquire('acct', { ttlMs: 1_000, waitMs: 3_000 }).then((l) => (got = l.fencingToken));
    waiting.catch(() => {});
    for (let ms = 0; ms < 200 && got === undefined; ms++) {
      advance(1);
      await Promise.resolve();
    }
    expect(got, 'the waiter got the lock within 200 ms, not at its 3 s timeout').toBe(old.fencingToken + 1);
    await lock.close?.();
  });
});
