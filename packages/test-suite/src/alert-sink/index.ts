import type { TestFunction } from '../types';
import { registerGroups } from '../internal';
import {
  alertSinkAbortTests,
  alertSinkDeliveryTests,
  alertSinkEscapingTests,
  alertSinkFailureTests,
  alertSinkSeverityTests,
  alertSinkShapeTests,
} from './alert-sink-tests';
import type { AlertSinkGroup, AlertSinkHarnessFactory, AlertSinkSuiteOptions } from './harness';

export {
  alertSinkAbortTests,
  alertSinkDeliveryTests,
  alertSinkEscapingTests,
  alertSinkFailureTests,
  alertSinkSeverityTests,
  alertSinkShapeTests,
} from './alert-sink-tests';
export {
  makeAlert,
  type AlertFaultMode,
  type AlertSinkGroup,
  type AlertSinkHarness,
  type AlertSinkHarnessFactory,
  type AlertSinkSuiteOptions,
} from './harness';

/** Every group of the alert sink suite, by name. */
export const alertSinkGroups = {
  shape: alertSinkShapeTests,
  delivery: alertSinkDeliveryTests,
  severity: alertSinkSeverityTests,
  failure: alertSinkFailureTests,
  escaping: alertSinkEscapingTests,
  abort: alertSinkAbortTests,
} satisfies Record<AlertSinkGroup, (test: TestFunction, factory: AlertSinkHarnessFactory, options?: AlertSinkSuiteOptions) => void>;

/**
 * Registers the whole `AlertSinkV1` conformance suite. The factory returns a harness: the sink
 * wired to a fake receiver that records what a human would see.
 */
export function alertSinkConformance(test: TestFunction, factory: AlertSinkHarnessFactory, options: AlertSinkSuiteOptions = {}): void {
  registerGroups(alertSinkGroups, test, factory, options);
}
