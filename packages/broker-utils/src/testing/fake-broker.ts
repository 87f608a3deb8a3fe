import type { RecordedRequest } from './test-server';

/** Fault modes every broker fake supports; each applies to the next matching request(s). */
export type FakeFaultMode = 'server-error' | 'rate-limit' | 'reset' | 'timeout' | 'malformed' | 'revoked';

export interface FakeFaultOptions {
  /** How many requests the fault applies to. Default 1. */
  times?: number;
  /** For 'rate-limit': the Retry-After header in seconds (omitted when undefined). */
  retryAfterSeconds?: number;
}

/**
 * The shape every `@tokens/<broker>/fake` server shares, so tests, benchmarks and the daemon's
 * sandbox can drive any broker the same way. Fakes run on 127.0.0.1, take an injected clock and
 * mirror the real broker's requests, responses, status codes and error bodies.
 */
export interface FakeBrokerServer {
  readonly broker: string;
  /** Base URL of the fake API (and of its login pages). */
  readonly url: string;
  /** Every request received, in order. */
  readonly calls: RecordedRequest[];
  fault(mode: FakeFaultMode, options?: FakeFaultOptions): void;
  /**
   * Plays the human at the broker's login page: takes the authorize URL the adapter built and
   * returns the URL the broker would redirect the browser to (with code/state params).
   */
  browserLogin(authorizeUrl: string): Promise<string>;
  close(): Promise<void>;
}
