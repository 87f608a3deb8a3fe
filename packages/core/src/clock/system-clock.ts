import type { ClockV1, TimerHandle } from '../contracts/clock';

// setTimeout's limit; longer waits are chained so a 30-day schedule still fires.
const MAX_TIMEOUT = 2_147_483_647;

/** The real clock. Timers are unref'd so an embedded manager never keeps a process alive. */
export function createSystemClock(): ClockV1 {
  return {
    specificationVersion: 'v1',
    now: () => Date.now(),
    setTimeout(fn, ms) {
      const state: { timer?: NodeJS.Timeout } = {};
      const arm = (remaining: number) => {
        const step = Math.min(Math.max(0, remaining), MAX_TIMEOUT);
        state.timer = setTimeout(() => (remaining > MAX_TIMEOUT ? arm(remaining - MAX_TIMEOUT) : fn()), step);
        state.timer.unref?.();
      };
      arm(ms);
      return state as TimerHandle;
    },
    clearTimeout(handle) {
      const timer = (handle as { timer?: NodeJS.Timeout }).timer;
      if (timer) clearTimeout(timer);
    },
  };
}

/** Resolves after `ms` on `clock`; rejects with the signal's reason when aborted. */
export function sleep(clock: ClockV1, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
