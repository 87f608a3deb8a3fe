import type { ClockV1, TimerHandle } from '../contracts/clock';

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
}

export interface FakeClock extends ClockV1 {
  /** Moves time forward, firing due timers in order and letting promises settle between them. */
  advance(ms: number): Promise<void>;
  /** Moves time to an absolute epoch ms (must not go backwards). */
  advanceTo(at: number): Promise<void>;
  /** Jumps the wall clock without firing timers (simulates a suspended host). */
  set(at: number): void;
  /** Number of pending timers. */
  readonly pending: number;
  /** Due time of the earliest pending timer, if any. */
  nextTimerAt(): number | undefined;
  /** Fires every timer due now, then lets promises settle. */
  flush(): Promise<void>;
}

// Lets chains of awaited promises run between timers, so code awaiting I/O-free promises progresses.
async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/** A deterministic clock for tests: time moves only when the test says so. */
export function createFakeClock(start: number | Date = Date.UTC(2026, 0, 5, 0, 0, 0)): FakeClock {
  let now = typeof start === 'number' ? start : start.getTime();
  let nextId = 1;
  const timers = new Map<number, FakeTimer>();

  const due = () => {
    let first: FakeTimer | undefined;
    for (const t of timers.values()) if (t.at <= now && (!first || t.at < first.at || (t.at === first.at && t.id < first.id))) first = t;
    return first;
  };

  const clock: FakeClock = {
    specificationVersion: 'v1',
    now: () => now,
    setTimeout(fn, ms) {
      const id = nextId++;
      timers.set(id, { id, at: now + Math.max(0, ms), fn });
      return { id } as unknown as TimerHandle;
    },
    clearTimeout(handle) {
      timers.delete((handle as unknown as { id: number }).id);
    },
    async advance(ms) {
      await clock.advanceTo(now + ms);
    },
    async advanceTo(target) {
      if (target < now) throw new Error(`FakeClock cannot go backwards (${target} < ${now}).`);
      for (;;) {
        await settle();
        let next: FakeTimer | undefined;
        for (const t of timers.values()) if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
        if (!next) break;
        now = Math.max(now, next.at);
        timers.delete(next.id);
        next.fn();
      }
      now = target;
      await settle();
    },
    set(at) {
      now = at;
    },
    get pending() {
      return timers.size;
    },
    nextTimerAt() {
      let at: number | undefined;
      for (const t of timers.values()) if (at === undefined || t.at < at) at = t.at;
      return at;
    },
    async flush() {
      for (let t = due(); t; t = due()) {
        timers.delete(t.id);
        t.fn();
        await settle();
      }
      await settle();
    },
  };
  return clock;
}
