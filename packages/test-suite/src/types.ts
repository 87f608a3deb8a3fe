/**
 * The few matchers the suites use. Vitest's and Jest's `expect` satisfy it; so does any
 * runner whose `expect(actual)` offers these methods.
 */
export interface AssertionLike {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toBeUndefined(): void;
  toBeDefined(): void;
  toBeTruthy(): void;
  toBeGreaterThan(expected: number): void;
  toBeGreaterThanOrEqual(expected: number): void;
  toBeLessThan(expected: number): void;
  toContain(expected: unknown): void;
  toMatch(expected: string | RegExp): void;
  toHaveLength(expected: number): void;
  readonly not: AssertionLike;
}

/** An `expect` function taken from the test context (so it stays correct under concurrent tests). */
export type ExpectLike = (actual: unknown, message?: string) => AssertionLike;

/** What the suites receive from the runner for each test. */
export interface TestContextLike {
  expect: ExpectLike;
}

/** A test registration function compatible with Vitest's `it`/`test` (and Jest's, with a context shim). */
export type TestFunction = (name: string, fn: (context: TestContextLike) => void | Promise<void>) => void;

/** Builds a fresh subject. Called once per test: no state is shared between tests. */
export type Factory<T> = () => T | Promise<T>;

/** Per-group switches, typed against the group names of a suite. Groups are on unless set to `true`. */
export type DisableGroups<G extends string> = Partial<Record<G, boolean>>;
