/** Opaque handle returned by {@link ClockV1.setTimeout}. */
export type TimerHandle = { readonly __timer: unique symbol } | object;

/**
 * Time, injected everywhere. No code in `tokens` reads `Date.now()` directly, so tests can
 * drive schedules with a fake clock instead of sleeping.
 */
export interface ClockV1 {
  readonly specificationVersion: 'v1';
  /** Epoch milliseconds. */
  now(): number;
  /** Schedules `fn` after `ms`. Real clocks unref the timer so they never keep a process alive. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}
