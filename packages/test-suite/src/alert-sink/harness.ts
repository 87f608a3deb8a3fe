import { randomBytes } from 'node:crypto';
import type { AlertSinkV1, AlertV1 } from '@tokens/core';
import { randomAccountId } from '../helpers';
import type { DisableGroups, Factory } from '../types';

/** Faults a fake receiver can inject into its next delivery. */
export type AlertFaultMode = 'server-error' | 'reset';

/** What an alert channel package hands the suite: its sink wired to a fake receiver. */
export interface AlertSinkHarness {
  sink: AlertSinkV1;
  /** What the receiver recorded as delivered (one entry per message), oldest first. */
  deliveries(): Promise<unknown[]>;
  /** The human-visible text of one delivery (decoded: no HTML entities, no Markdown escapes). */
  deliveryText(delivery: unknown): string;
  /** Makes the NEXT delivery fail this way (one shot). */
  fail(mode: AlertFaultMode): void;
  close(): Promise<void>;
}

export type AlertSinkHarnessFactory = Factory<AlertSinkHarness>;

export type AlertSinkGroup = 'shape' | 'delivery' | 'severity' | 'failure' | 'escaping' | 'abort';

export interface AlertSinkSuiteOptions {
  /** Turns groups off, e.g. `{ escaping: true }`. */
  disable?: DisableGroups<AlertSinkGroup>;
  /** Real time an aborted send may take to reject. Default 2000 ms. */
  promptMs?: number;
}

/** Builds a fresh harness, runs `fn`, and always closes the harness (and the sink). */
export async function withSink<T>(factory: AlertSinkHarnessFactory, fn: (h: AlertSinkHarness) => Promise<T>): Promise<T> {
  const harness = await factory();
  try {
    return await fn(harness);
  } finally {
    try {
      await harness.sink.close?.();
    } finally {
      await harness.close();
    }
  }
}

/** A complete alert with an action link; override any field. Never contains secrets. */
export function makeAlert(overrides: Partial<AlertV1> = {}): AlertV1 {
  const accountId = overrides.accountId ?? randomAccountId();
  const tag = randomBytes(4).toString('hex');
  return {
    id: `alert-${tag}`,
    severity: 'warning',
    kind: 'login_required',
    accountId,
    broker: 'schwab',
    title: `Login needed for ${accountId} (${tag})`,
    message: `The refresh token of ${accountId} expires in 2 hours. Log in to keep bots running. [${tag}]`,
    action: { label: 'Log in', url: `https://tokens.example/login/${accountId}?state=s-${tag}&next=%2Fdone` },
    dedupKey: `login_required:${accountId}`,
    createdAt: Date.UTC(2026, 0, 5, 3, 30, 0),
    deadline: Date.UTC(2026, 0, 5, 5, 30, 0),
    ...overrides,
  };
}
