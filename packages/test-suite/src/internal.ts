import type { DisableGroups, TestFunction } from './types';

/** Awaits `run` and returns what it threw; fails when it resolves. */
export async function captureError(run: Promise<unknown> | (() => unknown), what: string): Promise<unknown> {
  try {
    await (typeof run === 'function' ? run() : run);
  } catch (error) {
    return error;
  }
  throw new Error(`Expected ${what} to reject, but it resolved.`);
}

/** Rejects when `promise` takes longer than `ms` of real time. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms.`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Real-time pause; used only where no clock can be injected (a subject without `advance`). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Lets pending promise chains and I/O callbacks run. */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A property read that never throws (for probing unknown error values). */
export function prop(value: unknown, key: string): unknown {
  if (value == null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
  return (value as Record<string, unknown>)[key];
}

export function errorName(value: unknown): string {
  const name = prop(value, 'name');
  const code = prop(value, 'code');
  return `${typeof name === 'string' ? name : typeof value}${code === undefined ? '' : ` (${String(code)})`}`;
}

export type GroupRegistrar<F, O> = (test: TestFunction, factory: F, options?: O) => void;

/** Registers every group not disabled, in declaration order. */
export function registerGroups<G extends string, F, O>(
  groups: Record<G, GroupRegistrar<F, O>>,
  test: TestFunction,
  factory: F,
  options: O & { disable?: DisableGroups<G> },
): void {
  for (const name of Object.keys(groups) as G[]) {
    if (options.disable?.[name]) continue;
    groups[name](test, factory, options);
  }
}

/**
 * Registers a test that always fails with `message`: for a combination of options and subject
 * that leaves a test nothing to check. The suite never skips; the caller fixes the options or
 * turns the group off with `disable`, in plain sight.
 */
export function registerMisconfigured(test: TestFunction, name: string, message: string): void {
  test(name, () => {
    throw new Error(message);
  });
}
