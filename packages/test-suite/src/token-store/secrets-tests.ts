import { inspect } from 'node:util';
import type { SecretValue, TokenSetV1 } from '@tokens/core';
import type { ExpectLike, TestFunction } from '../types';
import { canaryCheck, makeTokenSet, randomAccountId } from '../helpers';
import { captureError, registerMisconfigured } from '../internal';
import {
  suiteNow,
  expectInvalidAccountId,
  put,
  withStore,
  type TokenStoreFactory,
  type TokenStoreSuiteOptions,
} from './options';

function secretsOf(t: TokenSetV1): string[] {
  return [t.accessToken, t.refreshToken, ...Object.values(t.secretExtras ?? {})]
    .filter((s): s is SecretValue => s !== undefined)
    .map((s) => s.reveal());
}

function expectSecret(expect: ExpectLike, value: unknown, field: string): void {
  expect(typeof (value as SecretValue | undefined)?.reveal, `${field} is a Secret with reveal()`).toBe('function');
  expect(JSON.stringify(value), `${field} redacts in JSON`).not.toContain((value as SecretValue).reveal());
  expect(inspect(value), `${field} redacts in util.inspect`).not.toContain((value as SecretValue).reveal());
  expect(String(value), `${field} redacts in String()`).not.toContain((value as SecretValue).reveal());
}

function expectSameTokenSet(expect: ExpectLike, actual: TokenSetV1 | undefined, expected: TokenSetV1): void {
  expect(actual, 'a token set').toBeDefined();
  if (!actual) return;
  expect(actual.accessToken.reveal()).toBe(expected.accessToken.reveal());
  expect(actual.refreshToken?.reveal()).toBe(expected.refreshToken?.reveal());
  expect(actual.expiresAt).toBe(expected.expiresAt);
  expect(actual.refreshExpiresAt).toBe(expected.refreshExpiresAt);
  expect(actual.issuedAt).toBe(expected.issuedAt);
  expect(actual.tokenType).toBe(expected.tokenType);
  expect(actual.extras).toEqual(expected.extras);
  const reveal = (r?: Record<string, SecretValue>) => (r ? Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.reveal()])) : r);
  expect(reveal(actual.secretExtras)).toEqual(reveal(expected.secretExtras));
}

/** Token sets survive storage intact, come back as redacting Secrets, and never leak. */
export function tokenStoreSecretsTests(test: TestFunction, factory: TokenStoreFactory, options: TokenStoreSuiteOptions = {}): void {
  test('store.secrets: a token set round-trips every field: tokens, expiries, tokenType, extras and secretExtras', ({ expect }) =>
    withStore(factory, options, async (store) => {
      const id = randomAccountId();
      const tokenSet = makeTokenSet(suiteNow(), {
        extras: { baseUrl: 'https://api.broker.example/v1', note: 'ünïcødé "quoted" \\ / \n newline ₹', empty: '' },
        secretExtras: { idToken: makeTokenSet(suiteNow()).accessToken, sid: makeTokenSet(suiteNow()).accessToken },
      });
      expectSameTokenSet(expect, (await put(store, id, tokenSet, 0)).tokenSet, tokenSet);
      expectSameTokenSet(expect, (await store.get(id))?.tokenSet, tokenSet);
    }));

  test('store.secrets: a minimal token set round-trips without the store inventing optional fields', ({ expect }) =>
    withStore(factory, options, async (store) => {
      const id = randomAccountId();
      const minimal = makeTokenSet(suiteNow(), {
        refreshToken: undefined,
        refreshExpiresAt: undefined,
        tokenType: undefined,
        extras: undefined,
        secretExtras: undefined,
      });
      await put(store, id, minimal, 0);
      const read = (await store.get(id))?.tokenSet;
      expectSameTokenSet(expect, read, minimal);
      expect(read?.refreshToken).toBeUndefined();
      expect(read?.refreshExpiresAt).toBeUndefined();
    }));

  test('store.secrets: get() and put() return token values as Secrets that redact in JSON.stringify, String and util.inspect', ({ expect }) =>
    withStore(factory, options, async (store) => {
      const id = randomAccountId();
      const tokenSet = makeTokenSet(suiteNow());
      const written = await put(store, id, tokenSet, 0);
      const read = await store.get(id);
      for (const record of [written, read]) {
        expectSecret(expect, record?.tokenSet.accessToken, 'accessToken');
        expectSecret(expect, record?.tokenSet.refreshToken, 'refreshToken');
        expectSecret(expect, record?.tokenSet.secretExtras?.idToken, 'secretExtras.idToken');
        expect(canaryCheck(secretsOf(tokenSet), record, record?.tokenSet), 'no token value in any rendering of the record').toEqual([]);
      }
    }));

  test('store.secrets: store errors and the store object itself reveal no token value', ({ expect }) =>
    withStore(factory, options, async (store) => {
      const id = randomAccountId();
      const tokenSet = makeTokenSet(suiteNow());
      await put(store, id, tokenSet, 0);
      const conflict = await captureError(put(store, id, tokenSet, 0), 'a second create');
      const invalid = await captureError(() => put(store, '../escape', tokenSet, 0), 'a put with an invalid id');
      expect(canaryCheck(secretsOf(tokenSet), conflict, invalid, store)).toEqual([]);
    }));

  if (options.rawMustNotContainPlaintext) {
    const name = 'store.secrets: the raw stored record does not contain token values in plain text';
    const raw = options.raw;
    if (!raw) {
      registerMisconfigured(test, name, 'The suite was told rawMustNotContainPlaintext: true but was given no `raw` back door to read the stored record. Pass `raw`, or remove rawMustNotContainPlaintext.');
    } else {
      test(name, ({ expect }) =>
        withStore(factory, options, async (store) => {
          const id = randomAccountId();
          const tokenSet = makeTokenSet(suiteNow());
          await put(store, id, tokenSet, 0);
          const stored = await raw(store, id);
          expect(stored, 'the back door sees the record').toBeDefined();
          expect(canaryCheck(secretsOf(tokenSet), stored)).toEqual([]);
        }));
    }
  }
}

/** Ids that must be rejected: they could escape a directory or collide in a key space. */
export const INVALID_ACCOUNT_IDS: readonly string[] = ['', '../x', 'a/b', 'a\\b', '.', '..', 'a b', 'x'.repeat(129)];

/** Account-id validation on every method that takes one. */
export function tokenStoreValidationTests(test: TestFunction, factory: TokenStoreFactory, options: TokenStoreSuiteOptions = {}): void {
  const label = (id: string) => (id.length > 20 ? `${id.length} chars` : JSON.stringify(id));
  const ids = INVALID_ACCOUNT_IDS.map(label).join(', ');

  test(`store.validation: get() rejects invalid account ids (${ids}) with code INVALID_ACCOUNT_ID`, ({ expect }) =>
    withStore(factory, options, async (store) => {
      for (const id of INVALID_ACCOUNT_IDS) await expectInvalidAccountId(expect, () => store.get(id), `get(${label(id)})`);
    }));

  test('store.validation: put() rejects invalid account ids with code INVALID_ACCOUNT_ID and writes nothing', ({ expect }) =>
    withStore(factory, options, async (store) => {
      const before = await store.list();
      for (const id of INVALID_ACCOUNT_IDS) {
        await expectInvalidAccountId(expect, () => put(store, id, makeTokenSet(suiteNow()), 0), `put(${label(id)})`);
      }
      const after = await store.list();
      expect(after.filter((x) => !before.includes(x))).toEqual([]);
    }));

  test('store.validation: delete() rejects invalid account ids with code INVALID_ACCOUNT_ID', ({ expect }) =>
    withStore(factory, options, async (store) => {
      for (const id of INVALID_ACCOUNT_IDS) await expectInvalidAccountId(expect, () => store.delete(id), `delete(${label(id)})`);
    }));

  test('store.validation: accepts 128-character ids and ids using ".", "_" and "-"', ({ expect }) =>
    withStore(factory, options, async (store) => {
      const long = `${randomAccountId()}-`.padEnd(128, 'x');
      const punctuated = `${randomAccountId()}.Main_2-x`;
      for (const id of [long, punctuated]) {
        expect((await put(store, id, makeTokenSet(suiteNow()), 0)).version).toBe(1);
        expect((await store.get(id))?.accountId).toBe(id);
        expect(await store.list()).toContain(id);
        expect(await store.delete(id)).toBe(true);
      }
    }));
}
