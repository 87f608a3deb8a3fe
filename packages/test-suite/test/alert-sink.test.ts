import { it } from 'vitest';
import type { AlertV1 } from '@tokens/core';
import { alertSinkConformance, createMemoryAlertSink, type TestFunction } from '../src/index';

const test: TestFunction = it;

// The memory sink's "receiver" is its own list; failNext() injects the faults.
alertSinkConformance(test, () => {
  const sink = createMemoryAlertSink();
  return {
    sink,
    deliveries: async () => [...sink.alerts],
    deliveryText: (d) => {
      const a = d as AlertV1;
      return [a.title, a.message, a.action ? `${a.action.label}: ${a.action.url}` : ''].filter(Boolean).join('\n');
    },
    fail: () => sink.failNext(1),
    close: async () => {},
  };
});
