import { randomBytes } from 'node:crypto';
import type { BrokerAdapterV1, InteractiveLoginKindV1, RenewalKindV1, SecretValue, TokenSetV1 } from '@tokens/core';
import { randomAccountId } from '../helpers';
import type { DisableGroups, Factory } from '../types';

/** Faults a fake broker can inject into its next request. */
export type BrokerFaultMode = 'server-error' | 'rate-limit' | 'reset' | 'malformed' | 'revoked';

export const BROKER_FAULT_MODES: readonly BrokerFaultMode[] = ['server-error', 'rate-limit', 'reset', 'malformed', 'revoked'];

/**
 * What a broker package hands the suite: its adapter wired to its loopback fake server. Built
 * fresh for every test.
 */
export interface BrokerAdapterHarness {
  adapter: BrokerAdapterV1;
  /** The fake clock's time, which the fake server also uses. */
  now(): number;
  /** A session the fake accepts, as if a human had logged in earlier. */
  seedSession(): Promise<TokenSetV1>;
  /** Makes the NEXT request to the fake fail this way (one shot). */
  fault(mode: BrokerFaultMode): void;
  /** Plays the human at the browser for `authorizeUrl`; returns the callback's query params. */
  completeLogin?(state: string, authorizeUrl: string): Promise<Record<string, string>>;
  /** Makes the broker reject this token set's access token from now on (for `doValidate` → invalid). */
  invalidate?(tokenSet: TokenSetV1): Promise<void>;
  /** Secrets (from the adapter's settings and the seeded session) that must never appear in output. */
  canaries: string[];
  /** Stops the fake server and releases everything. */
  close(): Promise<void>;
}

export type BrokerAdapterHarnessFactory = Factory<BrokerAdapterHarness>;

export type BrokerAdapterGroup = 'shape' | 'refresh' | 'errors' | 'validate' | 'login' | 'secrets' | 'abort';

/**
 * What the adapter under test declares, stated by the caller at registration time so the choice
 * of tests is visible in the broker's test file. The defaults describe a full-featured adapter.
 * Every test checks the adapter against this declaration first and fails, naming the flag to
 * change, when they disagree.
 */
export interface BrokerAdapterDeclaredCapabilities {
  /**
   * `adapter.capabilities.renewal`. Default `'refresh-token'`. `'refresh-token'` and `'relogin'`
   * run the renewal tests and use `doRefresh` as the wire call; `'none'` checks that `doRefresh`
   * rejects with `needsHuman` and uses `doValidate` (else `login.doExchange`) as the wire call.
   */
  renewal?: RenewalKindV1;
  /**
   * `adapter.capabilities.validate`, and `doValidate` is implemented. Default `true`. `false`:
   * the suite checks that both are absent.
   */
  validate?: boolean;
  /**
   * `adapter.capabilities.interactiveLogin` and `adapter.login.kind`, or `false` when the adapter
   * has no login. Default `'oauth-redirect'`.
   */
  interactiveLogin?: InteractiveLoginKindV1 | false;
  /** `adapter.login.parsePasted` is implemented. Default `true`. Ignored when `interactiveLogin` is `false`. */
  parsePasted?: boolean;
}

/** Which optional hooks the harness provides. Each defaults to `true`. */
export interface BrokerAdapterDeclaredHooks {
  /** `harness.invalidate()`, for `doValidate` → `{ valid: false }`. Ignored when `capabilities.validate` is `false`. */
  invalidate?: boolean;
  /** `harness.completeLogin()`, for the login round trip. Ignored when `capabilities.interactiveLogin` is `false`. */
  completeLogin?: boolean;
}

export interface BrokerAdapterSuiteOptions {
  /** Turns groups off, e.g. `{ login: true }`. */
  disable?: DisableGroups<BrokerAdapterGroup>;
  /** What the adapter declares; see {@link BrokerAdapterDeclaredCapabilities}. Defaults: a full-featured, refresh-token adapter. */
  capabilities?: BrokerAdapterDeclaredCapabilities;
  /** Which optional harness hooks exist; see {@link BrokerAdapterDeclaredHooks}. Defaults: all. */
  harness?: BrokerAdapterDeclaredHooks;
  /**
   * The broker sends `Retry-After` with its 429, so the adapter must expose `retryAfterMs` on the
   * rate-limit error. Default true; set false for brokers whose 429 carries no hint.
   */
  rateLimitRetryAfter?: boolean;
  /** Redirect URI passed to `authorizeUrl` and `doExchange`. Default `http://127.0.0.1:8765/callback`. */
  redirectUri?: string;
  /** Real time an aborted call may take to reject. Default 2000 ms. */
  promptMs?: number;
}

/** The call the `errors`, `secrets` and `abort` groups use to reach the broker's fake. */
export type WireKind = 'doRefresh' | 'doValidate' | 'doExchange';

/** The suite options with every declaration resolved to its default. */
export interface Declared {
  renewal: RenewalKindV1;
  validate: boolean;
  login: InteractiveLoginKindV1 | false;
  parsePasted: boolean;
  invalidate: boolean;
  completeLogin: boolean;
  /**
   * `doRefresh` when the adapter renews unattended, else `doValidate`, else `login.doExchange`
   * (after `completeLogin`); `undefined` when nothing reaches the wire.
   */
  wire: WireKind | undefined;
  redirectUri: string;
}

export const DEFAULT_REDIRECT_URI = 'http://127.0.0.1:8765/callback';

export function declared(options: BrokerAdapterSuiteOptions): Declared {
  const caps = options.capabilities ?? {};
  const hooks = options.harness ?? {};
  const renewal = caps.renewal ?? 'refresh-token';
  const validate = caps.validate ?? true;
  const login = caps.interactiveLogin ?? 'oauth-redirect';
  const completeLogin = login !== false && (hooks.completeLogin ?? true);
  const wire: WireKind | undefined =
    renewal !== 'none' ? 'doRefresh' : validate ? 'doValidate' : completeLogin ? 'doExchange' : undefined;
  return {
    renewal,
    validate,
    login,
    parsePasted: login !== false && (caps.parsePasted ?? true),
    invalidate: validate && (hooks.invalidate ?? true),
    completeLogin,
    wire,
    redirectUri: options.redirectUri ?? DEFAULT_REDIRECT_URI,
  };
}

/** A short description of the declaration, for test names. */
export function describeDeclared(d: Declared): string {
  const adapter = [
    `renewal '${d.renewal}'`,
    d.validate ? 'doValidate' : 'no doValidate',
    d.login === false ? 'no login' : `login '${d.login}'${d.parsePasted ? ' with parsePasted' : ' without parsePasted'}`,
  ];
  const hooks = [
    ...(d.validate ? [d.invalidate ? 'invalidate()' : 'no invalidate()'] : []),
    ...(d.login !== false ? [d.completeLogin ? 'completeLogin()' : 'no completeLogin()'] : []),
  ];
  return `${adapter.join(', ')}${hooks.length > 0 ? `; harness with ${hooks.join(' and ')}` : ''}`;
}

const show = (value: unknown) => (typeof value === 'string' ? `'${value}'` : String(value));

/**
 * Every way the adapter and harness differ from the declaration, each naming the option to
 * change. Empty when they match.
 */
export function declarationProblems(h: BrokerAdapterHarness, options: BrokerAdapterSuiteOptions): string[] {
  const d = declared(options);
  const caps = options.capabilities ?? {};
  const hooks = options.harness ?? {};
  const a = h.adapter;
  const problems: string[] = [];
  const dflt = (given: unknown) => (given === undefined ? ' (the default)' : '');

  const renewal = a.capabilities?.renewal;
  if (renewal !== d.renewal) {
    problems.push(
      `adapter.capabilities.renewal is ${show(renewal)}, but the suite was told renewal: ${show(d.renewal)}${dflt(caps.renewal)}. ` +
        `Pass \`capabilities: { renewal: ${show(renewal)} }\`.`,
    );
  }

  const hasValidate = typeof a.doValidate === 'function';
  if (d.validate && (!hasValidate || a.capabilities?.validate !== true)) {
    problems.push(
      `the adapter has ${hasValidate ? 'doValidate' : 'no doValidate'} and capabilities.validate ${show(a.capabilities?.validate)}, ` +
        `but the suite was told validate: true${dflt(caps.validate)}. Pass \`capabilities: { validate: false }\`, or implement doValidate and set capabilities.validate: true.`,
    );
  }
  if (!d.validate && (hasValidate || a.capabilities?.validate !== false)) {
    problems.push(
      `the adapter has ${hasValidate ? 'doValidate' : 'no doValidate'} and capabilities.validate ${show(a.capabilities?.validate)}, ` +
        'but the suite was told `capabilities.validate: false`. Remove `validate: false` so the validate tests run.',
    );
  }

  const declaredLogin = a.capabilities?.interactiveLogin ?? false;
  const loginKind = a.login === undefined ? false : a.login.kind;
  if (declaredLogin !== d.login || loginKind !== d.login) {
    const actual = loginKind === false ? 'no login' : `a '${String(loginKind)}' login`;
    const fix =
      loginKind === false
        ? 'Pass `capabilities: { interactiveLogin: false }`.'
        : `Pass \`capabilities: { interactiveLogin: ${show(loginKind)} }\`${caps.interactiveLogin === undefined ? '' : ', or remove it for the default'}.`;
    problems.push(
      `the adapter has ${actual} (capabilities.interactiveLogin ${show(a.capabilities?.interactiveLogin)}), ` +
        `but the suite was told interactiveLogin: ${show(d.login)}${dflt(caps.interactiveLogin)}. ${fix}`,
    );
  }

  if (d.login !== false && a.login !== undefined) {
    const hasPaste = typeof a.login.parsePasted === 'function';
    if (hasPaste !== d.parsePasted) {
      problems.push(
        hasPaste
          ? 'adapter.login has parsePasted(), but the suite was told `capabilities.parsePasted: false`. Remove `parsePasted: false` so the parsePasted test runs.'
          : `adapter.login has no parsePasted(), but the suite was told parsePasted: true${dflt(caps.parsePasted)}. Pass \`capabilities: { parsePasted: false }\`.`,
      );
    }
  }

  for (const hook of ['invalidate', 'completeLogin'] as const) {
    const relevant = hook === 'invalidate' ? d.validate : d.login !== false;
    if (!relevant) continue;
    const has = typeof h[hook] === 'function';
    if (has !== d[hook]) {
      problems.push(
        has
          ? `the harness has ${hook}(), but the suite was told \`harness: { ${hook}: false }\`. Remove \`${hook}: false\` so the tests that use it run.`
          : `the harness has no ${hook}(), but the suite was told ${hook}: true${dflt(hooks[hook])}. Pass \`harness: { ${hook}: false }\`, or add ${hook}() to the harness.`,
      );
    }
  }
  return problems;
}

/**
 * Builds a fresh harness, checks it against the declaration (failing with a message that names
 * the option to change), runs `fn`, and always closes the harness.
 */
export async function withHarness<T>(
  factory: BrokerAdapterHarnessFactory,
  options: BrokerAdapterSuiteOptions,
  fn: (h: BrokerAdapterHarness) => Promise<T>,
  { checkDeclaration = true }: { checkDeclaration?: boolean } = {},
): Promise<T> {
  const harness = await factory();
  try {
    if (checkDeclaration) {
      const problems = declarationProblems(harness, options);
      if (problems.length > 0) {
        throw new Error(`The adapter does not match what the suite was told (brokerAdapterConformance options):\n- ${problems.join('\n- ')}`);
      }
    }
    return await fn(harness);
  } finally {
    await harness.close();
  }
}

export function signal(): AbortSignal {
  return new AbortController().signal;
}

export function randomState(): string {
  return `state-${randomBytes(12).toString('base64url')}`;
}

export interface WireCall {
  kind: WireKind;
  run(): Promise<unknown>;
}

/**
 * Prepares one call of `kind` that reaches the broker's fake: seeds a session (doRefresh,
 * doValidate) or plays the human login (doExchange). Preparation finishes before the call runs,
 * so a fault set in between hits the call itself.
 */
export async function prepareWireCall(h: BrokerAdapterHarness, d: Declared, kind: WireKind, abort: AbortSignal = signal()): Promise<WireCall> {
  const a = h.adapter;
  const accountId = randomAccountId();
  switch (kind) {
    case 'doRefresh': {
      const current = await h.seedSession();
      return { kind, run: () => a.doRefresh({ accountId, current, signal: abort, now: h.now() }) };
    }
    case 'doValidate': {
      const tokenSet = await h.seedSession();
      const validate = a.doValidate!.bind(a);
      return { kind, run: () => validate({ accountId, tokenSet, signal: abort, now: h.now() }) };
    }
    case 'doExchange': {
      const login = a.login!;
      const state = randomState();
      const callbackParams = await h.completeLogin!(state, await login.authorizeUrl({ state, redirectUri: d.redirectUri }));
      return { kind, run: () => login.doExchange({ accountId, callbackParams, redirectUri: d.redirectUri, signal: abort, now: h.now() }) };
    }
  }
}

/** Why a wire test cannot run, and what to do about it. */
export function noWireMessage(group: BrokerAdapterGroup): string {
  return (
    "With renewal 'none', no doValidate and no login round trip (interactiveLogin false or no harness.completeLogin), " +
    "no call reaches the broker's fake, so this test has nothing to exercise. Give the harness completeLogin(), " +
    `or turn the group off in plain sight with \`disable: { ${group}: true }\`.`
  );
}

export function refresh(h: BrokerAdapterHarness, current: TokenSetV1 | undefined, abort: AbortSignal = signal()): Promise<TokenSetV1> {
  return h.adapter.doRefresh({ accountId: randomAccountId(), current, signal: abort, now: h.now() });
}

export function secretsOf(t: TokenSetV1): string[] {
  return [t.accessToken, t.refreshToken, ...Object.values(t.secretExtras ?? {})]
    .filter((s): s is SecretValue => s !== undefined && typeof s.reveal === 'function')
    .map((s) => s.reveal());
}
