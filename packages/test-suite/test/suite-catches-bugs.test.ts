/**
 * The suites are only worth running if they fail broken implementations. Each case below plants
 * one defect and checks that the named conformance tests fail (and, as a control, that the same
 * suite passes the correct implementation in the other test files).
 */
import { it } from 'vitest';
import {
  InvalidInputError,
  createMemoryLock,
  createMemoryTokenStore,
  type AlertV1,
  type LeaseV1,
  type LockV1,
  type StoredTokenV1,
  type TokenStoreV1,
} from '@tokens/core';
import {
  alertSinkConformance,
  brokerAdapterConformance,
  createFakeClock,
  createMemoryAlertSink,
  lockConformance,
  tokenStoreConformance,
  type BrokerAdapterSuiteOptions,
  type ExpectLike,
  type TestContextLike,
  type TestFunction,
} from '../src/index';
import { createJsonBackend, createJsonMapStore } from './support/json-map-store';
import { createMockHarness } from './support/mock-harness';

interface Collected {
  name: string;
  fn: (ctx: TestContextLike) => void | Promise<void>;
}

/** Registers a suite on a collecting runner, runs every test, and returns each failure with its message. */
async function failuresWithMessages(expect: ExpectLike, register: (test: TestFunction) => void): Promise<Array<{ name: string; message: string }>> {
  const tests: Collected[] = [];
  register((name, fn) => tests.push({ name, fn }));
  expect(tests.length, 'the suite registered tests').toBeGreaterThan(0);
  const failed: Array<{ name: string; message: string }> = [];
  for (const t of tests) {
    try {
      await t.fn({ expect });
    } catch (error) {
      failed.push({ name: t.name, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return failed;
}

/** Registers a suite on a collecting runner, runs every test, and returns the names that failed. */
async function failures(expect: ExpectLike, register: (test: TestFunction) => void): Promise<string[]> {
  return (await failuresWithMessages(expect, register)).map((f) => f.name);
}

/** The names a suite registers. */
function registered(register: (test: TestFunction) => void): string[] {
  const names: string[] = [];
  register((name) => names.push(name));
  return names;
}

const storeWith = (patch: (inner: TokenStoreV1) => Partial<TokenStoreV1>) => () => {
  const inner = createMemoryTokenStore();
  return { ...inner, ...patch(inner) } as TokenStoreV1;
};

it('the store suite fails a store that ignores expectedVersion', async ({ expect }) => {
  const failed = await failures(expect, (test) =>
    tokenStoreConformance(
      test,
      storeWith((inner) => ({
        put: async (id, input, o) => inner.put(id, input, { ...o, expectedVersion: (await inner.get(id))?.version ?? 0 }),
      })),
    ),
  );
  expect(failed).toContain('store.cas: put() with a stale expectedVersion throws StoreConflictError and writes nothing');
  expect(failed).toContain('store.cas: put() with expectedVersion 0 on an existing account throws StoreConflictError (creating twice)');
  expect(failed).not.toContain('store.basic: get() of an account that was never written resolves undefined');
});

it('the store suite fails a store that hands out its own records (no copies)', async ({ expect }) => {
  const failed = await failures(expect, (test) =>
    tokenStoreConformance(test, () => {
      const rows = new Map<string, StoredTokenV1>();
      return {
        ...createMemoryTokenStore(),
        get: async (id) => rows.get(id),
        put: async (id, input, { expectedVersion }) => {
          const version = (rows.get(id)?.version ?? 0) + 1;
          if (version - 1 !== expectedVersion) return Promise.reject(new Error('conflict'));
          const record = { accountId: id, broker: input.broker, version, tokenSet: input.tokenSet, updatedAt: 1 };
          rows.set(id, record);
          return record;
        },
      };
    }, { disable: { watch: true } }),
  );
  expect(failed).toContain('store.basic: mutating a returned record does not change what the store holds');
  expect(failed).toContain("store.basic: mutating the caller's token set after put() does not change what the store holds");
  expect(failed).toContain('store.cas: put() with a stale expectedVersion throws StoreConflictError and writes nothing');
});

it('the store suite fails a store whose tokens print their values', async ({ expect }) => {
  const leaky = (v: string) => ({ reveal: () => v, toString: () => v, toJSON: () => v });
  const failed = await failures(expect, (test) =>
    tokenStoreConformance(
      test,
      storeWith((inner) => ({
        get: async (id) => {
          const r = await inner.get(id);
          if (r) r.tokenSet.accessToken = leaky(r.tokenSet.accessToken.reveal());
          return r;
        },
      })),
    ),
  );
  expect(failed).toEqual([
    'store.secrets: get() and put() return token values as Secrets that redact in JSON.stringify, String and util.inspect',
  ]);
});

it('the store suite fails a store that validates no account ids', async ({ expect }) => {
  const failed = await failures(expect, (test) =>
    tokenStoreConformance(test, () => createJsonMapStore(createJsonBackend()), { disable: { basic: true, cas: true, fencing: true, watch: true, list: true, delete: true, secrets: true } }),
  );
  expect(failed).toEqual([]); // control: the correct store passes
  const broken = await failures(expect, (test) =>
    tokenStoreConformance(
      test,
      storeWith((inner) => ({ get: async (id) => (id === '' || id.includes('/') ? undefined : inner.get(id)) })),
      { disable: { basic: true, cas: true, fencing: true, watch: true, list: true, delete: true, secrets: true } },
    ),
  );
  expect(broken).toContain(
    'store.validation: get() rejects invalid account ids ("", "../x", "a/b", "a\\\\b", ".", "..", "a b", 129 chars) with code INVALID_ACCOUNT_ID',
  );
});

it('the back door catches a store whose put() and get() agree but never reach the backend', async ({ expect }) => {
  const backend = createJsonBackend();
  const failed = await failures(expect, (test) =>
    tokenStoreConformance(test, () => createJsonMapStore(backend, { cacheOnly: true }), {
      raw: async (_store, id) => backend.rows.get(id),
      disable: { watch: true },
    }),
  );
  expect(failed).toContain('store.basic: put() with expectedVersion 0 creates version 1 and returns the stored record');
  expect(failed).toContain('store.basic: put() with the current version replaces the token set and increments the version');
});

it('the lock suite fails a lock that grants every acquire at once', async ({ expect }) => {
  let token = 0;
  const broken = (): LockV1 => ({
    specificationVersion: 'v1',
    scope: 'process',
    acquire: async (accountId, { ttlMs }) => {
      const lease: LeaseV1 = { accountId, fencingToken: ++token, expiresAt: Date.now() + ttlMs, extend: async () => true, release: async () => {} };
      return lease;
    },
  });
  const failed = await failures(expect, (test) => lockConformance(test, broken, { shortTtlMs: 50, disable: { abort: true } }));
  expect(failed).toContain('lock.exclusion: 8 concurrent read-modify-write contenders never overlap and lose no update');
  expect(failed).toContain('lock.exclusion: a second acquire() waits until the holder releases, then gets a higher fencing token');
  expect(failed).toContain("lock.ownership: after a takeover the old holder's extend() resolves false");
});

it('the lock suite fails a lock whose fencing tokens do not increase', async ({ expect }) => {
  const clocks = new WeakMap<LockV1, ReturnType<typeof createFakeClock>>();
  const failed = await failures(expect, (test) =>
    lockConformance(
      test,
      () => {
        const clock = createFakeClock();
        const inner = createMemoryLock({ clock });
        const lock: LockV1 = { ...inner, acquire: async (id, o) => ({ ...(await inner.acquire(id, o)), fencingToken: 1 }) };
        clocks.set(lock, clock);
        return lock;
      },
      { expire: { advance: (ms, lock) => clocks.get(lock)!.advance(ms) }, disable: { abort: true, ownership: true, timeout: true } },
    ),
  );
  expect(failed).toContain('lock.fencing: fencing tokens strictly increase across successive leases of one account');
  expect(failed).toContain('lock.expiry: an expired lease is taken over by the next acquire() with a higher fencing token');
});

it('the adapter suite fails an adapter that throws a raw SyntaxError and one that leaks a secret into errors', async ({ expect }) => {
  const syntax = await failures(expect, (test) => brokerAdapterConformance(test, () => createMockHarness({ bugs: { rawSyntaxError: true } })));
  expect(syntax).toContain("adapter.errors: an unparseable body ('malformed') rejects with a typed TokensError, not a raw SyntaxError");
  const leaky = await failures(expect, (test) => brokerAdapterConformance(test, () => createMockHarness({ bugs: { leakSecretInErrors: true } })));
  expect(leaky).toEqual([
    'adapter.secrets: no canary appears in the message, JSON, String, inspect or stack of doRefresh() results and errors under any fault (server-error, rate-limit, reset, malformed, revoked)',
  ]);
});

it('the alert suite fails a sink that double-escapes HTML and one whose failures are not retryable', async ({ expect }) => {
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const harness = (send: (inner: ReturnType<typeof createMemoryAlertSink>, a: AlertV1) => Promise<void>) => () => {
    const inner = createMemoryAlertSink();
    return {
      sink: { ...inner, send: (a: AlertV1) => send(inner, a) },
      deliveries: async () => [...inner.alerts],
      deliveryText: (d: unknown) => `${(d as AlertV1).title}\n${(d as AlertV1).message}\n${(d as AlertV1).action?.url ?? ''}`,
      fail: () => inner.failNext(1, new InvalidInputError({ message: 'rejected' })),
      close: async () => {},
    };
  };
  const failed = await failures(expect, (test) =>
    alertSinkConformance(test, harness((inner, a) => inner.send({ ...a, title: escape(a.title), message: escape(a.message) })), { disable: { abort: true } }),
  );
  expect(failed).toContain('alerts.escaping: HTML and quote characters in the title and message arrive exactly as written');
  expect(failed).toContain("alerts.failure: a receiver failure ('server-error') makes send() reject with a retryable error");
  expect(failed).not.toContain('alerts.escaping: Unicode, emoji and newlines in the title and message arrive exactly as written');
});

// Declarations: the caller states at registration what the subject lacks; the suite checks the
// statement and fails, naming the option to change, when it is wrong. Nothing is ever skipped.

it('the store suite fails, naming the flag to set, when a store lacks fencing and watch but the suite was not told', async ({ expect }) => {
  const failed = await failuresWithMessages(expect, (test) =>
    tokenStoreConformance(test, () => createJsonMapStore(createJsonBackend(), {}, { fencing: false, watch: false })),
  );
  const names = failed.map((f) => f.name);
  expect(names.filter((n) => n.startsWith('store.fencing:'))).toHaveLength(4);
  expect(names.filter((n) => n.startsWith('store.watch:'))).toHaveLength(3);
  expect(names.every((n) => n.startsWith('store.fencing:') || n.startsWith('store.watch:')), names.join('\n')).toBe(true);
  for (const f of failed) {
    const flag = f.name.startsWith('store.fencing:') ? 'fencing' : 'watch';
    expect(f.message).toContain(`the suite was told ${flag}: true (the default)`);
    expect(f.message).toContain(`\`capabilities: { ${flag}: false }\``);
  }
});

it('the store suite fails, naming the flag to remove, when told a store lacks fencing and watch that it has', async ({ expect }) => {
  const failed = await failuresWithMessages(expect, (test) =>
    tokenStoreConformance(test, () => createMemoryTokenStore(), { capabilities: { fencing: false, watch: false } }),
  );
  expect(failed.map((f) => f.name)).toEqual([
    'store.fencing: declares capabilities.fencing: false, as the suite was told',
    'store.fencing: without fencing, put() accepts a lower fencing token and still enforces expectedVersion',
    'store.watch: declares capabilities.watch: false, as the suite was told',
  ]);
  expect(failed[0]?.message).toContain('Remove `fencing: false`');
  expect(failed[1]?.message).toContain('Remove `fencing: false`');
  expect(failed[2]?.message).toContain('Remove `watch: false`');
});

it('the store suite fails a store that declares capabilities.fencing: false but refuses lower fencing tokens anyway', async ({ expect }) => {
  const failed = await failuresWithMessages(expect, (test) =>
    tokenStoreConformance(
      test,
      () => createJsonMapStore(createJsonBackend(), { enforcesUndeclaredFencing: true }, { fencing: false, watch: false }),
      { capabilities: { fencing: false, watch: false } },
    ),
  );
  expect(failed.map((f) => f.name)).toEqual(['store.fencing: without fencing, put() accepts a lower fencing token and still enforces expectedVersion']);
  expect(failed[0]?.message).toContain('the store enforces fencing, so it should declare capabilities.fencing: true');
});

it('the store suite fails rawMustNotContainPlaintext without a raw back door, and a store that stores plain text', async ({ expect }) => {
  const plaintextTest = 'store.secrets: the raw stored record does not contain token values in plain text';
  const groups = { disable: { basic: true, cas: true, fencing: true, watch: true, list: true, delete: true, validation: true } } as const;
  const noRaw = await failuresWithMessages(expect, (test) =>
    tokenStoreConformance(test, () => createMemoryTokenStore(), { ...groups, rawMustNotContainPlaintext: true }),
  );
  expect(noRaw.map((f) => f.name)).toEqual([plaintextTest]);
  expect(noRaw[0]?.message).toContain('no `raw` back door');
  const backend = createJsonBackend();
  const plain = await failures(expect, (test) =>
    tokenStoreConformance(test, () => createJsonMapStore(backend), { ...groups, raw: async (_s, id) => backend.rows.get(id), rawMustNotContainPlaintext: true }),
  );
  expect(plain).toEqual([plaintextTest]);
  expect(registered((test) => tokenStoreConformance(test, () => createMemoryTokenStore(), groups)), 'not registered unless asked for').not.toContain(plaintextTest);
});

it('the adapter suite fails every test that depends on renewal, naming the flag, when a renewal-none adapter is not declared', async ({ expect }) => {
  const register = (test: TestFunction) => brokerAdapterConformance(test, () => createMockHarness({ renewal: 'none' }));
  const failed = await failuresWithMessages(expect, register);
  const passed = registered(register).filter((n) => !failed.some((f) => f.name === n));
  // Only the tests that read the adapter as it is pass: its shape and the canary checks on the object.
  expect(passed).toEqual([
    "adapter.shape: declares specificationVersion 'v1' and a non-empty broker id",
    'adapter.shape: capabilities are coherent: validate ⇔ doValidate, interactiveLogin ⇔ login (of the same kind)',
    'adapter.shape: declares a well-formed expiryRule (and renewalWindow, when present)',
    'adapter.secrets: the harness plants at least one canary',
    'adapter.secrets: the adapter object reveals no canary through JSON.stringify, String or util.inspect',
  ]);
  for (const f of failed) expect(f.message, f.name).toContain("Pass `capabilities: { renewal: 'none' }`");
});

it('the adapter suite names the option to change for each wrong declaration', async ({ expect }) => {
  const messages = async (harness: Parameters<typeof createMockHarness>[0], options: BrokerAdapterSuiteOptions) => {
    const failed = await failuresWithMessages(expect, (test) => brokerAdapterConformance(test, () => createMockHarness(harness), options));
    return failed.find((f) => f.name.startsWith('adapter.shape: matches what the suite was told'))?.message ?? '';
  };
  expect(await messages({}, { capabilities: { validate: false } })).toContain('Remove `validate: false`');
  expect(await messages({ validate: false }, {})).toContain('Pass `capabilities: { validate: false }`');
  expect(await messages({ login: 'paste' }, {})).toContain("Pass `capabilities: { interactiveLogin: 'paste' }`");
  expect(await messages({ login: false }, {})).toContain('Pass `capabilities: { interactiveLogin: false }`');
  expect(await messages({}, { capabilities: { interactiveLogin: false } })).toContain("Pass `capabilities: { interactiveLogin: 'oauth-redirect' }`");
  expect(await messages({ parsePasted: false }, {})).toContain('Pass `capabilities: { parsePasted: false }`');
  expect(await messages({ hooks: { invalidate: false } }, {})).toContain('Pass `harness: { invalidate: false }`');
  expect(await messages({}, { harness: { completeLogin: false } })).toContain('Remove `completeLogin: false`');
  expect(await messages({ renewal: 'relogin' }, {})).toContain("Pass `capabilities: { renewal: 'relogin' }`");
  expect(await messages({}, {}), 'a correct declaration').toBe('');
});

it('the adapter suite fails, rather than skips, the wire tests of an adapter with no call that reaches the broker', async ({ expect }) => {
  const harness = () => createMockHarness({ renewal: 'none', validate: false, login: false });
  const options: BrokerAdapterSuiteOptions = { capabilities: { renewal: 'none', validate: false, interactiveLogin: false } };
  const failed = await failuresWithMessages(expect, (test) => brokerAdapterConformance(test, harness, options));
  expect(failed.map((f) => f.name.split(':')[0])).toEqual([...Array(7).fill('adapter.errors'), 'adapter.secrets', 'adapter.abort']);
  expect(failed.find((f) => f.name.startsWith('adapter.errors'))?.message).toContain('`disable: { errors: true }`');
  expect(failed.find((f) => f.name.startsWith('adapter.abort'))?.message).toContain('`disable: { abort: true }`');
  // Turning the groups off is explicit, and then everything else passes.
  const rest = await failures(expect, (test) =>
    brokerAdapterConformance(test, harness, { ...options, disable: { errors: true, abort: true, secrets: true } }),
  );
  expect(rest).toEqual([]);
});
