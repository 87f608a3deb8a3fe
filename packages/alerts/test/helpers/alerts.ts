import type { AlertV1 } from '@tokens/core';

/** A fixed alert for exact-payload assertions (the conformance suite uses random ones). */
export function loginAlert(overrides: Partial<AlertV1> = {}): AlertV1 {
  return {
    id: 'alert-0001',
    severity: 'critical',
    kind: 'login_required',
    accountId: 'schwab-main',
    broker: 'schwab',
    title: 'schwab-main (schwab): human login needed',
    message: 'The refresh token was revoked. Automatic renewal has stopped until someone logs in.',
    action: { label: 'Log in', url: 'https://tokens.example.com/login/schwab-main?s=v1.abc.def' },
    dedupKey: 'schwab-main:login_required:3',
    createdAt: Date.UTC(2026, 0, 5, 14, 0, 0),
    deadline: Date.UTC(2026, 0, 5, 14, 30, 0),
    ...overrides,
  };
}
