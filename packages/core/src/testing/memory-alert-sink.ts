import type { AlertSinkV1, AlertV1 } from '../contracts/alert-sink';

export interface MemoryAlertSink extends AlertSinkV1 {
  readonly alerts: AlertV1[];
  /** Makes the next `n` sends fail with `error` (default: a retryable error). */
  failNext(n: number, error?: Error): void;
  clear(): void;
}

/** Collects alerts in memory, for tests and the sandbox. */
export function createMemoryAlertSink(options: { name?: string } = {}): MemoryAlertSink {
  const alerts: AlertV1[] = [];
  let failures = 0;
  let failure: Error | undefined;
  return {
    specificationVersion: 'v1',
    name: options.name ?? 'memory',
    alerts,
    async send(alert, opts) {
      if (opts?.signal?.aborted) throw opts.signal.reason;
      if (failures > 0) {
        failures--;
        throw failure ?? Object.assign(new Error('memory sink: simulated delivery failure'), { isRetryable: true });
      }
      alerts.push(structuredClone(alert));
    },
    failNext(n, error) {
      failures = n;
      failure = error;
    },
    clear() {
      alerts.length = 0;
    },
  };
}
