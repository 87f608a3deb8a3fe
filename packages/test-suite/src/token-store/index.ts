import type { TestFunction } from '../types';
import { registerGroups } from '../internal';
import { tokenStoreBasicTests, tokenStoreDeleteTests, tokenStoreListTests } from './basic-tests';
import { tokenStoreCasTests, tokenStoreFencingTests } from './cas-tests';
import { tokenStoreSecretsTests, tokenStoreValidationTests } from './secrets-tests';
import { tokenStoreWatchTests } from './watch-tests';
import type { TokenStoreFactory, TokenStoreGroup, TokenStoreSuiteOptions } from './options';

export { tokenStoreBasicTests, tokenStoreDeleteTests, tokenStoreListTests } from './basic-tests';
export { tokenStoreCasTests, tokenStoreFencingTests } from './cas-tests';
export { INVALID_ACCOUNT_IDS, tokenStoreSecretsTests, tokenStoreValidationTests } from './secrets-tests';
export { tokenStoreWatchTests } from './watch-tests';
export type { TokenStoreDeclaredCapabilities, TokenStoreFactory, TokenStoreGroup, TokenStoreSuiteOptions } from './options';

/** Every group of the token store suite, by name. */
export const tokenStoreGroups = {
  basic: tokenStoreBasicTests,
  cas: tokenStoreCasTests,
  fencing: tokenStoreFencingTests,
  watch: tokenStoreWatchTests,
  list: tokenStoreListTests,
  delete: tokenStoreDeleteTests,
  validation: tokenStoreValidationTests,
  secrets: tokenStoreSecretsTests,
} satisfies Record<TokenStoreGroup, (test: TestFunction, factory: TokenStoreFactory, options?: TokenStoreSuiteOptions) => void>;

/**
 * Registers the whole `TokenStoreV1` conformance suite on the caller's runner.
 *
 * ```ts
 * import { it } from 'vitest';
 * tokenStoreConformance(it, () => createMemoryTokenStore());
 * // A store without fencing or watch says so, in its own test file; the suite checks it is true:
 * tokenStoreConformance(it, () => createKvStore(), { capabilities: { fencing: false, watch: false } });
 * ```
 */
export function tokenStoreConformance(test: TestFunction, factory: TokenStoreFactory, options: TokenStoreSuiteOptions = {}): void {
  registerGroups(tokenStoreGroups, test, factory, options);
}
