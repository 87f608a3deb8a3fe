import { StoreConflictError, type TokenSetV1, type TokenStoreV1 } from '@tokens/core';
import { captureError, errorName, prop } from '../internal';
import type { DisableGroups, ExpectLike, Factory } from '../types';

export type TokenStoreGroup = 'basic' | 'cas' | 'fencing' | 'watch' | 'list' | 'delete' | 'validation' | 'secrets';

export type TokenStoreFactory = Factory<TokenStoreV1>;

/**
 * What the store under test declares in `store.capabilities`, stated by the caller at
 * registration time so the choice of tests is visible in the store's test file. Each flag
 * defaults to `true`. The suite checks the declaration against the store and fails (naming the
 * flag to change) when they disagree.
 */
export interface TokenStoreDeclaredCapabilities {
  /**
   * `store.capabilities.fencing`. `true`: the fencing tests run. `false`: the suite checks that the
   * store declares `fencing: false` and that it accepts any fencing token (the engine always
   * passes one) while still enforcing `expectedVersion`.
   */
  fencing?: boolean;
  /**
   * `store.capabilities.watch` (and a `watch()` method). `true`: the watch tests run. `false`: the
   * suite checks that the store declares `watch: false`.
   */
  watch?: boolean;
}

export type StoreCapabilityName = keyof TokenStoreDeclaredCapabilities;

export interface TokenStoreSuiteOptions {
  /** Turns groups off, e.g. `{ watch: true }`. Keep the flag in the store's test file, where reviewers see it. */
  disable?: DisableGroups<TokenStoreGroup>;
  /** What the store declares in `capabilities`; see {@link TokenStoreDeclaredCapabilities}. Every flag defaults to `true`. */
  capabilities?: TokenStoreDeclaredCapabilities;
  /**
   * Back door: reads what is really stored for `accountId` (file contents, a Redis hash), bypassing
   * the store's own `get`. Resolve `undefined` when nothing is stored. When given, writes are
   * verified through it, so put-then-get cannot pass when both halves are wrong the same way.
   * Return something `JSON.stringify` can render (a string, a Buffer, a plain object).
   */
  raw?: (store: TokenStoreV1, accountId: string) => Promise<unknown | undefined>;
  /**
   * With `raw`: the raw record must not contain token values in plain text (encryption at rest).
   * Registers the plaintext test; setting it without `raw` makes that test fail.
   */
  rawMustNotContainPlaintext?: boolean;
  /**
   * Writes `tokenSet` for `accountId` through ANOTHER store instance (or process) on the same
   * backend as `store`, reading the current version first. Registers the cross-instance watch
   * test (with `capabilities.watch` on); without it that test is not registered.
   */
  externalWrite?: (accountId: string, tokenSet: TokenSetV1, store: TokenStoreV1) => Promise<void>;
  /** How long a change may take to reach `watch` listeners. Default 1000 ms. */
  watchWithinMs?: number;
  /** Runs after each test, before `store.close()` (remove a temp dir, delete keys). */
  cleanup?: (store: TokenStoreV1) => Promise<void>;
}

/**
 * The time token sets in the suite are minted at: the real time, so a backend that derives a
 * key TTL from `expiresAt` or `refreshExpiresAt` keeps the record for the length of a test.
 */
export function suiteNow(): number {
  return Date.now();
}

export const BROKER = 'suite-broker';

/** The declared value of a capability: `true` unless the caller set it to `false`. */
export function declares(options: TokenStoreSuiteOptions, capability: StoreCapabilityName): boolean {
  return options.capabilities?.[capability] ?? true;
}

/**
 * Why the store does not match what the suite was told about `capability`, or `undefined` when it
 * does. The message names the flag to change.
 */
export function storeDeclarationProblem(
  store: TokenStoreV1,
  options: TokenStoreSuiteOptions,
  capability: StoreCapabilityName,
): string | undefined {
  const told = declares(options, capability);
  const actual = store.capabilities?.[capability];
  const source = options.capabilities?.[capability] === undefined ? ' (the default)' : '';
  if (told && actual !== true) {
    return (
      `store.capabilities.${capability} is ${String(actual)}, but the suite was told ${capability}: true${source}. ` +
      `Pass \`capabilities: { ${capability}: false }\` to the suite, or make the store support ${capability}.`
    );
  }
  if (told && capability === 'watch' && typeof store.watch !== 'function') {
    return 'store.capabilities.watch is true, but store.watch is not a function. Implement watch(), or declare watch: false on the store and pass `capabilities: { watch: false }` to the suite.';
  }
  if (!told && actual !== false) {
    return (
      `store.capabilities.${capability} is ${String(actual)}, but the suite was told \`capabilities.${capability}: false\`. ` +
      `Remove \`${capability}: false\` so the ${capability} tests run.`
    );
  }
  return undefined;
}

/**
 * Builds a fresh store, runs `fn`, then cleans up and closes it even when `fn` throws. With
 * `declared`, first checks the store matches the declaration of each named capability and fails
 * with a message naming the flag when it does not.
 */
export async function withStore<T>(
  factory: TokenStoreFactory,
  options: TokenStoreSuiteOptions,
  fn: (store: TokenStoreV1) => Promise<T>,
  declared: readonly StoreCapabilityName[] = [],
): Promise<T> {
  const store = await factory();
  try {
    const problems = declared.map((c) => storeDeclarationProblem(store, options, c)).filter((p) => p !== undefined);
    if (problems.length > 0) throw new Error(`The store does not match what the suite was told (tokenStoreConformance options):\n- ${problems.join('\n- ')}`);
    return await fn(store);
  } finally {
    try {
      await options.cleanup?.(store);
    } finally {
      await store.close?.();
    }
  }
}

/** A comparable rendering of the raw record, or `undefined` without a back door. */
export async function rawSnapshot(
  options: TokenStoreSuiteOptions,
  store: TokenStoreV1,
  accountId: string,
): Promise<string | undefined> {
  if (!options.raw) return undefined;
  const value = await options.raw(store, accountId);
  return value === undefined ? 'absent' : (JSON.stringify(value) ?? String(value));
}

export async function expectConflict(expect: ExpectLike, run: Promise<unknown>, what: string): Promise<unknown> {
  const error = await captureError(run, what);
  expect(StoreConflictError.isInstance(error), `${what} should throw StoreConflictError, got ${errorName(error)}`).toBe(true);
  expect(prop(error, 'code')).toBe('STORE_CONFLICT');
  return error;
}

export async function expectInvalidAccountId(expect: ExpectLike, run: () => Promise<unknown>, what: string): Promise<void> {
  const error = await captureError(run, what);
  expect(prop(error, 'code'), `${what} should throw INVALID_ACCOUNT_ID, got ${errorName(error)}`).toBe(
    'INVALID_ACCOUNT_ID',
  );
}

export function put(store: TokenStoreV1, accountId: string, tokenSet: TokenSetV1, expectedVersion: number, fencingToken?: number) {
  return store.put(accountId, { broker: BROKER, tokenSet }, fencingToken === undefined ? { expectedVersion } : { expectedVersion, fencingToken });
}
