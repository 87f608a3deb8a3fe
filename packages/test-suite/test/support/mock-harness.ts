import { randomBytes } from 'node:crypto';
import {
  BrokerApiError,
  InvalidInputError,
  LoginRequiredError,
  NetworkError,
  TokensError,
  type BrokerAdapterV1,
  type InteractiveLoginKindV1,
  type RenewalKindV1,
  type TokenSetV1,
} from '@tokens/core';
import {
  createFakeClock,
  createMockBrokerAdapter,
  makeTokenSet,
  type BrokerAdapterHarness,
  type BrokerFaultMode,
} from '../../src/index';

export interface MockHarnessOptions {
  /** Default 'refresh-token'. */
  renewal?: RenewalKindV1;
  /** The adapter has doValidate. Default true. */
  validate?: boolean;
  /** The adapter's login kind, or false for no login. Default 'oauth-redirect'. */
  login?: InteractiveLoginKindV1 | false;
  /** The login has parsePasted(). Default true. */
  parsePasted?: boolean;
  /** Which optional harness hooks exist. Default: both. */
  hooks?: { invalidate?: boolean; completeLogin?: boolean };
  /** Planted defects, for the tests that check the suite catches them. */
  bugs?: { rawSyntaxError?: boolean; leakSecretInErrors?: boolean };
}

/**
 * A hand-rolled harness around MockBrokerAdapter. The "broker" is a few sets in memory: tokens
 * it accepts, refresh tokens it honours, login codes it issued. Fault modes throw the typed errors
 * a real adapter maps from the wire.
 */
export function createMockHarness(options: MockHarnessOptions = {}): BrokerAdapterHarness {
  const renewal = options.renewal ?? 'refresh-token';
  const clock = createFakeClock();
  const appSecret = `mock-app-secret-${randomBytes(12).toString('hex')}`;
  const canaries = [appSecret];
  const accepted = new Set<string>();
  const refreshable = new Set<string>();
  const codes = new Set<string>();
  let fault: BrokerFaultMode | undefined;

  const mint = (): TokenSetV1 => {
    const t = makeTokenSet(clock.now(), { secretExtras: undefined, refreshToken: renewal === 'none' ? undefined : makeTokenSet(0).accessToken });
    accepted.add(t.accessToken.reveal());
    if (t.refreshToken) refreshable.add(t.refreshToken.reveal());
    return t;
  };

  /** One request to the "broker": honours the signal and consumes a pending fault. */
  const request = (signal: AbortSignal): void => {
    if (signal.aborted) throw new TokensError({ message: 'The operation was aborted.', code: 'ABORTED', isRetryable: true });
    const mode = fault;
    fault = undefined;
    const leak = options.bugs?.leakSecretInErrors ? ` (client_secret=${appSecret})` : '';
    switch (mode) {
      case undefined:
        return;
      case 'server-error':
        throw new BrokerApiError({ message: `Broker answered 503${leak}.`, broker: 'mock', statusCode: 503 });
      case 'rate-limit':
        throw new BrokerApiError({ message: 'Broker answered 429.', broker: 'mock', statusCode: 429, retryAfterMs: 2000 });
      case 'reset':
        throw new NetworkError({ message: 'Connection reset by the broker.', broker: 'mock' });
      case 'malformed':
        if (options.bugs?.rawSyntaxError) JSON.parse('<html>');
        throw new BrokerApiError({ message: 'Broker answered with a body that is not JSON.', broker: 'mock', statusCode: 200, isRetryable: false });
      case 'revoked':
        throw new LoginRequiredError({ message: 'The refresh token was revoked; log in again.', broker: 'mock' });
    }
  };

  const validate = options.validate ?? true;
  const login = options.login ?? 'oauth-redirect';
  const mock = createMockBrokerAdapter({
    broker: 'mock',
    capabilities: { renewal, validate, interactiveLogin: login === false ? undefined : login },
    expiryRule: { kind: 'expires-in' },
    doRefresh: async ({ current, signal }) => {
      if (renewal === 'none') throw new LoginRequiredError({ message: 'This broker needs a daily login.', broker: 'mock' });
      request(signal);
      const rt = current?.refreshToken?.reveal();
      if (!rt || !refreshable.has(rt)) throw new LoginRequiredError({ message: 'Unknown refresh token; log in again.', broker: 'mock' });
      refreshable.delete(rt); // rotation
      return mint();
    },
    doValidate: !validate ? undefined : async ({ tokenSet, signal }) => {
      try {
        request(signal);
      } catch (error) {
        if (LoginRequiredError.isInstance(error)) return { valid: false, reason: 'rejected by the broker' };
        throw error;
      }
      return accepted.has(tokenSet.accessToken.reveal()) ? { valid: true } : { valid: false, reason: 'rejected by the broker' };
    },
    doExchange: async ({ callbackParams, signal }) => {
      const code = callbackParams.code;
      if (!code) throw new InvalidInputError({ message: 'The callback has no "code" parameter.', field: 'code' });
      request(signal);
      if (!codes.delete(code)) throw new LoginRequiredError({ message: 'The login code is unknown or used.', broker: 'mock' });
      return mint();
    },
  });

  // MockBrokerAdapter always has a login with parsePasted; drop what this harness leaves out.
  const adapter: BrokerAdapterV1 =
    login !== false && (options.parsePasted ?? true)
      ? mock
      : {
          specificationVersion: 'v1',
          broker: mock.broker,
          capabilities: login === false ? { renewal, validate } : mock.capabilities,
          expiryRule: mock.expiryRule,
          doRefresh: (input) => mock.doRefresh(input),
          ...(mock.doValidate ? { doValidate: mock.doValidate } : {}),
          ...(login === false ? {} : { login: { kind: login, authorizeUrl: mock.login!.authorizeUrl, doExchange: mock.login!.doExchange } }),
        };

  const hooks = { invalidate: true, completeLogin: true, ...options.hooks };
  const completeLogin = async (state: string, authorizeUrl: string) => {
    const url = new URL(authorizeUrl);
    if (url.searchParams.get('state') !== state) throw new Error('authorize URL lost the state');
    const code = `code-${randomBytes(8).toString('hex')}`;
    codes.add(code);
    return { code, state };
  };
  const invalidate = async (tokenSet: TokenSetV1) => {
    accepted.delete(tokenSet.accessToken.reveal());
  };

  return {
    adapter,
    now: () => clock.now(),
    async seedSession() {
      const t = mint();
      canaries.push(t.accessToken.reveal(), ...(t.refreshToken ? [t.refreshToken.reveal()] : []));
      return t;
    },
    fault(mode) {
      fault = mode;
    },
    ...(hooks.completeLogin ? { completeLogin } : {}),
    ...(hooks.invalidate ? { invalidate } : {}),
    canaries,
    async close() {},
  };
}
