import { TokensError } from '@tokens/core';
import type { ExpectLike, TestFunction } from '../types';
import { errorName, prop, registerMisconfigured } from '../internal';
import {
  declared,
  noWireMessage,
  prepareWireCall,
  withHarness,
  type BrokerAdapterGroup,
  type BrokerAdapterHarness,
  type BrokerAdapterHarnessFactory,
  type BrokerAdapterSuiteOptions,
  type BrokerFaultMode,
  type Declared,
  type WireKind,
} from './harness';

export interface FaultOutcome {
  kind: WireKind;
  error?: unknown;
  value?: unknown;
}

/** Prepares the wire call, injects `mode`, runs the call; returns what it threw (or resolved, for validate). */
export async function underFault(h: BrokerAdapterHarness, d: Declared, kind: WireKind, mode: BrokerFaultMode): Promise<FaultOutcome> {
  const call = await prepareWireCall(h, d, kind);
  h.fault(mode);
  try {
    return { kind, value: await call.run() };
  } catch (error) {
    return { kind, error };
  }
}

function expectTokensError(expect: ExpectLike, outcome: FaultOutcome, mode: string): unknown {
  expect('error' in outcome, `${outcome.kind}() under '${mode}' should reject`).toBe(true);
  const error = outcome.error;
  expect(TokensError.isInstance(error), `${outcome.kind}() under '${mode}' should throw a TokensError, got ${errorName(error)}`).toBe(true);
  return error;
}

/**
 * Registers a test that needs a call reaching the broker's fake. The call is chosen from the
 * declaration at registration time; when there is none, the test is registered failing, with what
 * to change.
 */
export function wireTest(
  test: TestFunction,
  group: BrokerAdapterGroup,
  name: string | ((kind: WireKind | undefined) => string),
  d: Declared,
  fn: (expect: ExpectLike, kind: WireKind) => Promise<void>,
): void {
  const kind = d.wire;
  const title = typeof name === 'string' ? name : name(kind);
  if (kind === undefined) registerMisconfigured(test, title, noWireMessage(group));
  else test(title, ({ expect }) => fn(expect, kind));
}

/** `doRefresh()`, or "the wire call" when there is none (for the names of tests registered failing). */
export function callName(kind: WireKind | undefined): string {
  return kind === undefined ? 'the wire call' : `${kind}()`;
}

/** Failures come back typed and classified: retry decisions read flags, never text. */
export function brokerAdapterErrorsTests(test: TestFunction, factory: BrokerAdapterHarnessFactory, options: BrokerAdapterSuiteOptions = {}): void {
  const retryAfter = options.rateLimitRetryAfter ?? true;
  const d = declared(options);
  const faultTest = (name: string | ((kind: WireKind | undefined) => string), fn: (expect: ExpectLike, h: BrokerAdapterHarness, kind: WireKind) => Promise<void>) =>
    wireTest(test, 'errors', name, d, (expect, kind) => withHarness(factory, options, (h) => fn(expect, h, kind)));

  faultTest("adapter.errors: a 5xx from the broker ('server-error') rejects with a retryable TokensError", async (expect, h, kind) => {
    const error = expectTokensError(expect, await underFault(h, d, kind, 'server-error'), 'server-error');
    expect(prop(error, 'isRetryable')).toBe(true);
    expect(prop(error, 'needsHuman')).toBe(false);
  });

  faultTest(
    `adapter.errors: a 429 ('rate-limit') rejects with a retryable TokensError${retryAfter ? ' carrying retryAfterMs from Retry-After' : ''}`,
    async (expect, h, kind) => {
      const error = expectTokensError(expect, await underFault(h, d, kind, 'rate-limit'), 'rate-limit');
      expect(prop(error, 'isRetryable')).toBe(true);
      expect(prop(error, 'needsHuman')).toBe(false);
      if (retryAfter) {
        const ms = prop(error, 'retryAfterMs');
        expect(typeof ms, 'retryAfterMs is a number of milliseconds').toBe('number');
        expect(ms as number).toBeGreaterThanOrEqual(0);
      }
    },
  );

  faultTest("adapter.errors: a dropped connection ('reset') rejects with a retryable NetworkError (code NETWORK_ERROR)", async (expect, h, kind) => {
    const error = expectTokensError(expect, await underFault(h, d, kind, 'reset'), 'reset');
    expect(prop(error, 'code')).toBe('NETWORK_ERROR');
    expect(prop(error, 'isRetryable')).toBe(true);
  });

  faultTest("adapter.errors: an unparseable body ('malformed') rejects with a typed TokensError, not a raw SyntaxError", async (expect, h, kind) => {
    const error = expectTokensError(expect, await underFault(h, d, kind, 'malformed'), 'malformed');
    expect(prop(error, 'name')).not.toBe('SyntaxError');
    expect(typeof prop(error, 'code')).toBe('string');
  });

  faultTest(
    (kind) =>
      kind === 'doValidate'
        ? "adapter.errors: a revoked session ('revoked') makes doValidate() resolve valid: false instead of throwing"
        : "adapter.errors: a revoked session ('revoked') needs a human and is not retryable",
    async (expect, h, kind) => {
      const outcome = await underFault(h, d, kind, 'revoked');
      if (kind === 'doValidate') {
        expect('error' in outcome, `doValidate() under 'revoked' should resolve { valid: false }, but it threw ${errorName(outcome.error)}`).toBe(false);
        expect(prop(outcome.value, 'valid'), 'doValidate() reports the rejection as valid: false').toBe(false);
        return;
      }
      const error = expectTokensError(expect, outcome, 'revoked');
      expect(prop(error, 'needsHuman')).toBe(true);
      expect(prop(error, 'isRetryable')).toBe(false);
    },
  );

  faultTest('adapter.errors: a fault affects one request only: the next call succeeds (no cached failure)', async (expect, h, kind) => {
    expectTokensError(expect, await underFault(h, d, kind, 'server-error'), 'server-error');
    const value = await (await prepareWireCall(h, d, kind)).run();
    if (kind === 'doValidate') expect(prop(value, 'valid')).toBe(true);
    else expect(prop(value, 'expiresAt')).toBeGreaterThan(h.now());
  });

  faultTest('adapter.errors: errors serialise through toJSON() with a stable code and flags', async (expect, h, kind) => {
    const error = expectTokensError(expect, await underFault(h, d, kind, 'server-error'), 'server-error') as TokensError;
    const json = JSON.parse(JSON.stringify(error)) as Record<string, unknown>;
    expect(json.code).toBe(error.code);
    expect(json.isRetryable).toBe(true);
    expect(typeof json.message).toBe('string');
  });
}
