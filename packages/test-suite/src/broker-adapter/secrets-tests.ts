import type { TestFunction } from '../types';
import { canaryCheck, randomAccountId } from '../helpers';
import { captureError, withDeadline } from '../internal';
import { callName, underFault, wireTest } from './errors-tests';
import {
  BROKER_FAULT_MODES,
  declared,
  prepareWireCall,
  randomState,
  refresh,
  secretsOf,
  signal,
  withHarness,
  type BrokerAdapterHarness,
  type BrokerAdapterHarnessFactory,
  type BrokerAdapterSuiteOptions,
} from './harness';

/** Canaries (secrets from settings and seeded tokens) never reach errors, results or the adapter's own rendering. */
export function brokerAdapterSecretsTests(test: TestFunction, factory: BrokerAdapterHarnessFactory, options: BrokerAdapterSuiteOptions = {}): void {
  const d = declared(options);
  const redirectUri = d.redirectUri;
  // Tests that read the adapter as it is, whatever the suite was told.
  const asIs = <T>(fn: (h: BrokerAdapterHarness) => Promise<T>) => withHarness(factory, options, fn, { checkDeclaration: false });

  test('adapter.secrets: the harness plants at least one canary', ({ expect }) =>
    asIs(async (h) => {
      expect(h.canaries.filter((c) => typeof c === 'string' && c.length > 0).length, 'canaries').toBeGreaterThan(0);
    }));

  wireTest(
    test,
    'secrets',
    (kind) =>
      `adapter.secrets: no canary appears in the message, JSON, String, inspect or stack of ${callName(kind)} results and errors under any fault (${BROKER_FAULT_MODES.join(', ')})`,
    d,
    (expect, kind) =>
      withHarness(factory, options, async (h) => {
        const outputs: unknown[] = [];
        for (const mode of BROKER_FAULT_MODES) {
          const outcome = await underFault(h, d, kind, mode);
          outputs.push('error' in outcome ? outcome.error : outcome.value);
        }
        expect(outputs, 'one output per fault mode').toHaveLength(BROKER_FAULT_MODES.length);
        expect(canaryCheck(h.canaries, ...outputs)).toEqual([]);
      }),
  );

  if (d.renewal === 'none') {
    test("adapter.secrets: the error from doRefresh() of a broker that cannot renew reveals no canary", ({ expect }) =>
      withHarness(factory, options, async (h) => {
        const error = await captureError(refresh(h, await h.seedSession()), 'doRefresh()');
        expect(canaryCheck(h.canaries, error)).toEqual([]);
      }));
  } else {
    test('adapter.secrets: no canary or token value appears in renewed token sets (JSON, String, inspect)', ({ expect }) =>
      withHarness(factory, options, async (h) => {
        const renewed = await refresh(h, await h.seedSession());
        expect(canaryCheck([...h.canaries, ...secretsOf(renewed)], renewed)).toEqual([]);
      }));
  }

  test('adapter.secrets: the adapter object reveals no canary through JSON.stringify, String or util.inspect', ({ expect }) =>
    asIs(async (h) => {
      expect(canaryCheck(h.canaries, h.adapter, h.adapter.login, h.adapter.capabilities)).toEqual([]);
    }));

  if (d.validate) {
    test(`adapter.secrets: doValidate() results${d.invalidate ? ', valid and invalid,' : ''} reveal no canary`, ({ expect }) =>
      withHarness(factory, options, async (h) => {
        const validate = h.adapter.doValidate!.bind(h.adapter);
        const session = await h.seedSession();
        const outputs: unknown[] = [await validate({ accountId: randomAccountId(), tokenSet: session, signal: signal(), now: h.now() })];
        if (d.invalidate) {
          await h.invalidate!(session);
          outputs.push(await validate({ accountId: randomAccountId(), tokenSet: session, signal: signal(), now: h.now() }));
        }
        expect(canaryCheck(h.canaries, ...outputs)).toEqual([]);
      }));
  }

  if (d.login !== false) {
    test('adapter.secrets: the authorize URL and the error from doExchange() with empty params reveal no canary', ({ expect }) =>
      withHarness(factory, options, async (h) => {
        const login = h.adapter.login!;
        const url = await login.authorizeUrl({ state: randomState(), redirectUri });
        const error = await captureError(
          () => login.doExchange({ accountId: randomAccountId(), callbackParams: {}, redirectUri, signal: signal(), now: h.now() }),
          'doExchange({})',
        );
        expect(canaryCheck(h.canaries, url, error)).toEqual([]);
      }));
  }
}

/** An aborted signal stops the call at once. */
export function brokerAdapterAbortTests(test: TestFunction, factory: BrokerAdapterHarnessFactory, options: BrokerAdapterSuiteOptions = {}): void {
  const promptMs = options.promptMs ?? 2000;
  const d = declared(options);
  const exchange = d.login !== false && d.completeLogin;

  // doExchange as the wire call is covered by the doExchange test below.
  if (d.wire !== 'doExchange') {
    wireTest(test, 'abort', (kind) => `adapter.abort: an already-aborted signal rejects ${callName(kind)} promptly`, d, (expect, kind) =>
      withHarness(factory, options, async (h) => {
        const call = await prepareWireCall(h, d, kind, AbortSignal.abort());
        const error = await withDeadline(captureError(call.run(), `${kind}() with an aborted signal`), promptMs, `${kind}()`);
        expect(error).toBeDefined();
      }),
    );
  }

  if (exchange) {
    test('adapter.abort: an already-aborted signal rejects doExchange() promptly', ({ expect }) =>
      withHarness(factory, options, async (h) => {
        const call = await prepareWireCall(h, d, 'doExchange', AbortSignal.abort());
        const error = await withDeadline(captureError(call.run(), 'doExchange() with an aborted signal'), promptMs, 'doExchange()');
        expect(error).toBeDefined();
      }));
  }
}
