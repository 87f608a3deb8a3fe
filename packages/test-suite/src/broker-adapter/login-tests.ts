import { TokensError, assertValidTokenSet } from '@tokens/core';
import type { TestFunction } from '../types';
import { randomAccountId } from '../helpers';
import { captureError, errorName } from '../internal';
import {
  declared,
  randomState,
  refresh,
  signal,
  withHarness,
  type BrokerAdapterHarness,
  type BrokerAdapterHarnessFactory,
  type BrokerAdapterSuiteOptions,
} from './harness';

export { randomState } from './harness';

function validateOf(h: BrokerAdapterHarness) {
  const a = h.adapter;
  return a.doValidate!.bind(a); // present: withHarness checked the declaration `validate: true`
}

/**
 * `doValidate`: a cheap probe that says valid or not, and throws only on transport errors. With
 * `capabilities: { validate: false }` the suite checks the adapter has no `doValidate`.
 */
export function brokerAdapterValidateTests(test: TestFunction, factory: BrokerAdapterHarnessFactory, options: BrokerAdapterSuiteOptions = {}): void {
  const d = declared(options);

  if (!d.validate) {
    test('adapter.validate: has no doValidate and declares capabilities.validate: false, as the suite was told', ({ expect }) =>
      withHarness(factory, options, async ({ adapter }) => {
        expect(adapter.doValidate, 'doValidate').toBeUndefined();
        expect(adapter.capabilities.validate).toBe(false);
      }));
    return;
  }

  test('adapter.validate: doValidate(seeded session) resolves valid: true', ({ expect }) =>
    withHarness(factory, options, async (h) => {
      const result = await validateOf(h)({ accountId: randomAccountId(), tokenSet: await h.seedSession(), signal: signal(), now: h.now() });
      expect(result.valid).toBe(true);
      if (result.expiresAt !== undefined) expect(result.expiresAt).toBeGreaterThan(h.now());
    }));

  if (d.invalidate) {
    test('adapter.validate: doValidate() of a token the broker rejects resolves valid: false (it does not throw)', ({ expect }) =>
      withHarness(factory, options, async (h) => {
        const session = await h.seedSession();
        await h.invalidate!(session);
        const result = await validateOf(h)({ accountId: randomAccountId(), tokenSet: session, signal: signal(), now: h.now() });
        expect(result.valid).toBe(false);
        if (result.reason !== undefined) expect(typeof result.reason).toBe('string');
      }));
  } else {
    test('adapter.validate: the harness has no invalidate(), as the suite was told (valid: false is not exercised)', ({ expect }) =>
      withHarness(factory, options, async (h) => {
        expect(h.invalidate, 'harness.invalidate').toBeUndefined();
      }));
  }

  if (d.renewal !== 'none') {
    test('adapter.validate: a renewed token set validates as valid: true', ({ expect }) =>
      withHarness(factory, options, async (h) => {
        const renewed = await refresh(h, await h.seedSession());
        const result = await validateOf(h)({ accountId: randomAccountId(), tokenSet: renewed, signal: signal(), now: h.now() });
        expect(result.valid).toBe(true);
      }));
  }
}

/**
 * The human step: authorize URL, callback, exchange, pasted URLs. With
 * `capabilities: { interactiveLogin: false }` the suite checks the adapter has no login.
 */
export function brokerAdapterLoginTests(test: TestFunction, factory: BrokerAdapterHarnessFactory, options: BrokerAdapterSuiteOptions = {}): void {
  const d = declared(options);
  const redirectUri = d.redirectUri;

  if (d.login === false) {
    test('adapter.login: has no login and no capabilities.interactiveLogin, as the suite was told', ({ expect }) =>
      withHarness(factory, options, async ({ adapter }) => {
        expect(adapter.login, 'adapter.login').toBeUndefined();
        expect(adapter.capabilities.interactiveLogin, 'capabilities.interactiveLogin').toBeUndefined();
      }));
    return;
  }

  test('adapter.login: authorizeUrl() returns an absolute URL that carries the state', ({ expect }) =>
    withHarness(factory, options, async (h) => {
      const state = randomState();
      const url = await h.adapter.login!.authorizeUrl({ state, redirectUri });
      const parsed = new URL(url); // throws for a relative or malformed URL
      expect(['http:', 'https:']).toContain(parsed.protocol);
      expect(url.includes(state) || url.includes(encodeURIComponent(state)), `the URL carries the state ${state}`).toBe(true);
    }));

  if (d.completeLogin) {
    test('adapter.login: completing the login and calling doExchange() yields a valid token set', ({ expect }) =>
      withHarness(factory, options, async (h) => {
        const login = h.adapter.login!;
        const state = randomState();
        const url = await login.authorizeUrl({ state, redirectUri });
        const callbackParams = await h.completeLogin!(state, url);
        const tokenSet = await login.doExchange({ accountId: randomAccountId(), callbackParams, redirectUri, signal: signal(), now: h.now() });
        assertValidTokenSet(tokenSet, h.now());
        expect(typeof tokenSet.accessToken.reveal).toBe('function');
      }));
  } else {
    const untested = d.parsePasted ? 'the login round trip and parsePasted() are' : 'the login round trip is';
    test(`adapter.login: the harness has no completeLogin(), as the suite was told (${untested} not exercised)`, ({ expect }) =>
      withHarness(factory, options, async (h) => {
        expect(h.completeLogin, 'harness.completeLogin').toBeUndefined();
      }));
  }

  if (!d.parsePasted) {
    test('adapter.login: has no parsePasted(), as the suite was told', ({ expect }) =>
      withHarness(factory, options, async ({ adapter }) => {
        expect(adapter.login?.parsePasted, 'login.parsePasted').toBeUndefined();
      }));
  } else if (d.completeLogin) {
    test('adapter.login: parsePasted() of the redirected URL returns the callback params', ({ expect }) =>
      withHarness(factory, options, async (h) => {
        const login = h.adapter.login!;
        const state = randomState();
        const callbackParams = await h.completeLogin!(state, await login.authorizeUrl({ state, redirectUri }));
        const redirected = new URL(redirectUri);
        for (const [k, v] of Object.entries(callbackParams)) redirected.searchParams.set(k, v);
        expect(login.parsePasted!(redirected.toString())).toEqual(callbackParams);
        expect(login.parsePasted!(`  ${redirected.toString()}\n`), 'surrounding whitespace is ignored').toEqual(callbackParams);
      }));
  }

  test('adapter.login: doExchange() with empty callback params rejects with a typed TokensError', ({ expect }) =>
    withHarness(factory, options, async (h) => {
      const login = h.adapter.login!;
      const error = await captureError(
        () => login.doExchange({ accountId: randomAccountId(), callbackParams: {}, redirectUri, signal: signal(), now: h.now() }),
        'doExchange({})',
      );
      expect(TokensError.isInstance(error), `a TokensError, got ${errorName(error)}`).toBe(true);
    }));
}
