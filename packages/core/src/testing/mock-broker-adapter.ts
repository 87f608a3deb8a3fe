import type {
  BrokerAdapterV1,
  BrokerCapabilitiesV1,
  ExchangeInputV1,
  ExpiryRuleV1,
  RefreshInputV1,
  RenewalWindowV1,
  ValidateInputV1,
  ValidateResultV1,
} from '../contracts/broker-adapter';
import type { TokenSetV1 } from '../contracts/token-set';


/** A function, a value or an error, or one per call (the last one repeats). Errors are thrown. */
export type MockBehaviour<I, O> = MockStep<I, O> | Array<MockStep<I, O>>;
export type MockStep<I, O> = ((input: I) => O | Promise<O>) | O | Error;

export interface MockBrokerAdapterOptions {
  broker?: string;
  capabilities?: Partial<BrokerCapabilitiesV1>;
  expiryRule?: ExpiryRuleV1;
  renewalWindow?: RenewalWindowV1;
  doRefresh?: MockBehaviour<RefreshInputV1, TokenSetV1>;
  doValidate?: MockBehaviour<ValidateInputV1, ValidateResultV1>;
  doExchange?: MockBehaviour<ExchangeInputV1, TokenSetV1>;
  /** Base of the authorize URL the mock's login returns. */
  authorizeBaseUrl?: string;
}

function notImplemented(name: string): never {
  throw new Error(`MockBrokerAdapter.${name} was called but not configured.`);
}

async function resolve<I, O>(behaviour: MockBehaviour<I, O> | undefined, input: I, calls: number, name: string): Promise<O> {
  if (behaviour === undefined) notImplemented(name);
  const step = Array.isArray(behaviour) ? behaviour[Math.min(calls - 1, behaviour.length - 1)] : behaviour;
  if (typeof step === 'function') return (step as (i: I) => O | Promise<O>)(input);
  if (step instanceof Error) throw step;
  return step as O;
}

/** A broker adapter for tests that records every call. Unconfigured methods throw. */
export class MockBrokerAdapter implements BrokerAdapterV1 {
  readonly specificationVersion = 'v1' as const;
  readonly broker: string;
  readonly capabilities: BrokerCapabilitiesV1;
  readonly expiryRule: ExpiryRuleV1;
  readonly renewalWindow?: RenewalWindowV1;
  readonly doRefreshCalls: RefreshInputV1[] = [];
  readonly doValidateCalls: ValidateInputV1[] = [];
  readonly doExchangeCalls: ExchangeInputV1[] = [];
  readonly login: BrokerAdapterV1['login'];
  #options: MockBrokerAdapterOptions;

  constructor(options: MockBrokerAdapterOptions = {}) {
    this.#options = options;
    this.broker = options.broker ?? 'mock';
    this.capabilities = {
      renewal: 'refresh-token',
      validate: options.doValidate !== undefined,
      interactiveLogin: 'oauth-redirect',
      ...options.capabilities,
    };
    this.expiryRule = options.expiryRule ?? { kind: 'expires-in' };
    this.renewalWindow = options.renewalWindow;
    const base = options.authorizeBaseUrl ?? 'https://broker.example/authorize';
    this.login = {
      kind: this.capabilities.interactiveLogin ?? 'oauth-redirect',
      authorizeUrl: ({ state, redirectUri }) => {
        const u = new URL(base);
        u.searchParams.set('state', state);
        if (redirectUri) u.searchParams.set('redirect_uri', redirectUri);
        return u.toString();
      },
      parsePasted: (text) => {
        const t = text.trim();
        if (/^https?:\/\//.test(t)) return Object.fromEntries(new URL(t).searchParams);
        return { code: t };
      },
      doExchange: (input) => {
        this.doExchangeCalls.push(input);
        return resolve(this.#options.doExchange, input, this.doExchangeCalls.length, 'login.doExchange');
      },
    };
    if (options.doValidate !== undefined) {
      this.doValidate = (input: ValidateInputV1) => {
        this.doValidateCalls.push(input);
        return resolve(this.#options.doValidate, input, this.doValidateCalls.length, 'doValidate');
      };
    }
  }

  doValidate?: (input: ValidateInputV1) => Promise<ValidateResultV1>;

  doRefresh(input: RefreshInputV1): Promise<TokenSetV1> {
    this.doRefreshCalls.push(input);
    return resolve(this.#options.doRefresh, input, this.doRefreshCalls.length, 'doRefresh');
  }

  /** Replaces the refresh behaviour mid-test. */
  setRefresh(behaviour: MockBehaviour<RefreshInputV1, TokenSetV1>): void {
    this.#options = { ...this.#options, doRefresh: behaviour };
  }

  setValidate(behaviour: MockBehaviour<ValidateInputV1, ValidateResultV1>): void {
    this.#options = { ...this.#options, doValidate: behaviour };
  }
}

export function createMockBrokerAdapter(options?: MockBrokerAdapterOptions): MockBrokerAdapter {
  return new MockBrokerAdapter(options);
}
