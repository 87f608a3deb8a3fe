import type { TestFunction } from '../types';
import { registerGroups } from '../internal';
import { brokerAdapterErrorsTests } from './errors-tests';
import { brokerAdapterLoginTests, brokerAdapterValidateTests } from './login-tests';
import { brokerAdapterRefreshTests, brokerAdapterShapeTests } from './refresh-tests';
import { brokerAdapterAbortTests, brokerAdapterSecretsTests } from './secrets-tests';
import type { BrokerAdapterGroup, BrokerAdapterHarnessFactory, BrokerAdapterSuiteOptions } from './harness';

export { brokerAdapterErrorsTests } from './errors-tests';
export { brokerAdapterLoginTests, brokerAdapterValidateTests } from './login-tests';
export { brokerAdapterRefreshTests, brokerAdapterShapeTests } from './refresh-tests';
export { brokerAdapterAbortTests, brokerAdapterSecretsTests } from './secrets-tests';
export {
  BROKER_FAULT_MODES,
  type BrokerAdapterDeclaredCapabilities,
  type BrokerAdapterDeclaredHooks,
  type BrokerAdapterGroup,
  type BrokerAdapterHarness,
  type BrokerAdapterHarnessFactory,
  type BrokerAdapterSuiteOptions,
  type BrokerFaultMode,
} from './harness';

/** Every group of the broker adapter suite, by name. */
export const brokerAdapterGroups = {
  shape: brokerAdapterShapeTests,
  refresh: brokerAdapterRefreshTests,
  errors: brokerAdapterErrorsTests,
  validate: brokerAdapterValidateTests,
  login: brokerAdapterLoginTests,
  secrets: brokerAdapterSecretsTests,
  abort: brokerAdapterAbortTests,
} satisfies Record<BrokerAdapterGroup, (test: TestFunction, factory: BrokerAdapterHarnessFactory, options?: BrokerAdapterSuiteOptions) => void>;

/**
 * Registers the whole `BrokerAdapterV1` conformance suite. The factory returns a harness: the
 * adapter wired to the broker's loopback fake, plus hooks to seed, fault and play the human.
 *
 * ```ts
 * brokerAdapterConformance(it, () => createSchwabHarness());
 * // Differences are declared here, where reviewers see them; the suite checks they are true:
 * brokerAdapterConformance(it, () => createKiteHarness(), {
 *   capabilities: { renewal: 'none' },
 *   harness: { invalidate: false },
 * });
 * ```
 */
export function brokerAdapterConformance(test: TestFunction, factory: BrokerAdapterHarnessFactory, options: BrokerAdapterSuiteOptions = {}): void {
  registerGroups(brokerAdapterGroups, test, factory, options);
}
