import { it } from 'vitest';
import { brokerAdapterConformance } from '@tokens/test-suite';
import { createSchwabHarness } from './support/harness';

// Every group applies to Schwab: it renews unattended, has a browser login and a probe.
const redirectUri = 'http://127.0.0.1:8765/callback';
brokerAdapterConformance(it, () => createSchwabHarness(redirectUri), { redirectUri, rateLimitRetryAfter: true });
