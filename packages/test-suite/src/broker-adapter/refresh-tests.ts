import { inspect } from 'node:util';
import { TokensError, assertValidTokenSet, type SecretValue } from '@tokens/core';
import type { ExpectLike, TestFunction } from '../types';
import { canaryCheck } from '../helpers';
import { captureError, errorName, prop } from '../internal';
import {
  declarationProblems,
  declared,
  describeDeclared,
  refresh,
  secretsOf,
  withHarness,
  type BrokerAdapterHarness,
  type BrokerAdapterHarnessFactory,
  type BrokerAdapterSuiteOptions,
} from './harness';

const RENEWALS = ['refresh-token', 'relogin', 'none'];
const LOGIN_KINDS = ['oauth-redirect', 'paste'];

/** Declared facts: version tag, broker id, coherent capabilities matching the suite options, an expiry rule. */
export function brokerAdapterShapeTests(test: TestFunction, factory: BrokerAdapterHarnessFactory, options: BrokerAdapterSuiteOptions = {}): void {
  // The other shape tests read the adapter as it is, whatever the suite was told.
  const asIs = <T>(fn: (h: BrokerAdapterHarness) => Promise<T>) => withHarness(factory, options, fn, { checkDeclaration: false });

  // withHarness fails first, listing every difference and the option to change (in full: an
  // assertion message would be truncated by the runner); the assertion documents the contract.
  test(`adapter.shape: matches what the suite was told: ${describeDeclared(declared(options))}`, ({ expect }) =>
    withHarness(factory, options, async (h) => {
      expect(declarationProblems(h, options)).toEqual([]);
    }));

  test("adapter.shape: declares specificationVersion 'v1' and a non-empty broker id", ({ expect }) =>
    asIs(async ({ adapter }) => {
      expect(adapter.specificationVersion).toBe('v1');
      expect(typeof adapter.broker).toBe('string');
      expect(adapter.broker.length).toBeGreaterThan(0);
      expect(adapter.broker, 'a lower-case id such as "schwab"').toMatch(/^[a-z0-9][a-z0-9-]*$/);
    }));

  test('adapter.shape: capabilities are coherent: validate ⇔ doValidate, interactiveLogin ⇔ login (of the same kind)', ({ expect }) =>
    asIs(async ({ adapter }) => {
      const caps = adapter.capabilities;
      expect(RENEWALS).toContain(caps.renewal);
      expect(typeof caps.validate).toBe('boolean');
      expect(typeof adapter.doValidate === 'function', 'capabilities.validate matches the presence of doValidate').toBe(caps.validate);
      expect(adapter.login !== undefined, 'capabilities.interactiveLogin matches the presence of login').toBe(caps.interactiveLogin !== undefined);
      if (caps.interactiveLogin !== undefined) {
        expect(LOGIN_KINDS).toContain(caps.interactiveLogin);
        expect(adapter.login?.kind).toBe(caps.interactiveLogin);
        expect(typeof adapter.login?.authorizeUrl).toBe('function');
        expect(typeof adapter.login?.doExchange).toBe('function');
      }
      expect(typeof adapter.doRefresh).toBe('function');
    }));

  test('adapter.shape: declares a well-formed expiryRule (and renewalWindow, when present)', ({ expect }) =>
    asIs(async ({ adapter }) => {
      const rule = adapter.expiryRule;
      expect(rule, 'expiryRule').toBeDefined();
      expect(['jwt-exp', 'expires-in', 'fixed-lifetime', 'daily']).toContain(rule.kind);
      if (rule.kind === 'fixed-lifetime') expect(rule.lifetimeMs).toBeGreaterThan(0);
      if (rule.kind === 'daily') {
        expect(rule.at.time).toMatch(/^([01]\d|2[0-3]):[0-5]\d$/);
        new Intl.DateTimeFormat('en', { timeZone: rule.at.timeZone }); // throws RangeError for an unknown zone
      }
      const w = adapter.renewalWindow;
      if (w) {
        expect(w.start).toMatch(/^([01]\d|2[0-3]):[0-5]\d$/);
        expect(w.end).toMatch(/^([01]\d|2[0-3]):[0-5]\d$/);
        new Intl.DateTimeFormat('en', { timeZone: w.timeZone });
      }
    }));
}

export function expectRedacted(expect: ExpectLike, value: SecretValue | undefined, field: string): void {
  if (value === undefined) return;
  expect(typeof value.reveal, `${field} is a Secret`).toBe('function');
  const raw = value.reveal();
  expect(JSON.stringify(value), `${field} in JSON`).not.toContain(raw);
  expect(String(value), `${field} in String()`).not.toContain(raw);
  expect(inspect(value), `${field} in util.inspect`).not.toContain(raw);
}

/**
 * `doRefresh`: renews through the fake, or (declared `renewal: 'none'`) says a human is needed.
 */
export function brokerAdapterRefreshTests(test: TestFunction, factory: BrokerAdapterHarnessFactory, options: BrokerAdapterSuiteOptions = {}): void {
  if (declared(options).renewal === 'none') {
    test("adapter.refresh: doRefresh() of a broker that cannot renew (renewal 'none') rejects with needsHuman and is not retryable", ({ expect }) =>
      withHarness(factory, options, async (h) => {
        const error = await captureError(refresh(h, await h.seedSession()), 'doRefresh()');
        expect(TokensError.isInstance(error), `a TokensError, got ${errorName(error)}`).toBe(true);
        expect(prop(error, 'needsHuman')).toBe(true);
        expect(prop(error, 'isRetryable')).toBe(false);
      }));
    return;
  }

  test('adapter.refresh: doRefresh(seeded session) returns a token set that passes assertValidTokenSet and expires after now', ({ expect }) =>
    withHarness(factory, options, async (h) => {
      const renewed = await refresh(h, await h.seedSession());
      assertValidTokenSet(renewed, h.now()); // throws InvalidInputError naming the bad field
      expect(renewed.expiresAt).toBeGreaterThan(h.now());
      expect(Number.isFinite(renewed.issuedAt), 'issuedAt is epoch ms').toBe(true);
      expect(renewed.issuedAt, 'issuedAt is not in the future').not.toBeGreaterThan(h.now() + 1000);
      if (renewed.refreshExpiresAt !== undefined) expect(renewed.refreshExpiresAt).toBeGreaterThan(h.now());
    }));

  test('adapter.refresh: doRefresh() returns token values as Secrets that redact in JSON.stringify, String and util.inspect', ({ expect }) =>
    withHarness(factory, options, async (h) => {
      const renewed = await refresh(h, await h.seedSession());
      expectRedacted(expect, renewed.accessToken, 'accessToken');
      expectRedacted(expect, renewed.refreshToken, 'refreshToken');
      for (const [k, v] of Object.entries(renewed.secretExtras ?? {})) expectRedacted(expect, v, `secretExtras.${k}`);
      expect(canaryCheck(secretsOf(renewed), renewed), 'no token value in any rendering of the token set').toEqual([]);
    }));

  test('adapter.refresh: a renewed token set can itself be renewed', ({ expect }) =>
    withHarness(factory, options, async (h) => {
      const first = await refresh(h, await h.seedSession());
      const second = await refresh(h, first);
      assertValidTokenSet(second, h.now());
      expect(second.expiresAt).toBeGreaterThan(h.now());
    }));
}
