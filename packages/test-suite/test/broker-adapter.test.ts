import { it } from 'vitest';
import { brokerAdapterConformance, type TestFunction } from '../src/index';
import { createMockHarness } from './support/mock-harness';

const tagged = (tag: string): TestFunction => (name, fn) => it(`[${tag}] ${name}`, fn);

// Renews with a refresh token (Schwab-like): every default holds, so nothing to declare.
brokerAdapterConformance(it, () => createMockHarness({ renewal: 'refresh-token' }));

// Cannot renew; a human logs in daily (Kite-like). The wire call is doValidate.
brokerAdapterConformance(tagged('renewal none'), () => createMockHarness({ renewal: 'none' }), {
  capabilities: { renewal: 'none' },
});

// Re-logs in unattended, has no human login, and its fake cannot revoke a token (Dhan-like).
brokerAdapterConformance(
  tagged('relogin, no login'),
  () => createMockHarness({ renewal: 'relogin', login: false, hooks: { invalidate: false } }),
  { capabilities: { renewal: 'relogin', interactiveLogin: false }, harness: { invalidate: false } },
);

// Cannot renew and has no probe: only the pasted login reaches the broker, so it is the wire call.
brokerAdapterConformance(
  tagged('login only'),
  () => createMockHarness({ renewal: 'none', validate: false, login: 'paste', parsePasted: false }),
  { capabilities: { renewal: 'none', validate: false, interactiveLogin: 'paste', parsePasted: false } },
);

// A harness that cannot play the human: the login round trip is declared out.
brokerAdapterConformance(
  tagged('no completeLogin'),
  () => createMockHarness({ hooks: { completeLogin: false } }),
  { harness: { completeLogin: false } },
);
