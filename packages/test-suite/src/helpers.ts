import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { Secret, type TokenSetV1 } from '@tokens/core';

function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/**
 * A fresh, valid account id (`acct-<random>`), so tests can share one real backend (a Redis
 * server, a directory) without colliding.
 */
export function randomAccountId(): string {
  return `acct-${randomHex(6)}`;
}

/**
 * A valid token set with every optional field filled and every secret wrapped in a `Secret`.
 * Token values are random and long, so they also work as canaries. Pass `undefined` for an
 * optional field in `overrides` to leave it out.
 */
export function makeTokenSet(now: number, overrides: Partial<TokenSetV1> = {}): TokenSetV1 {
  const base: TokenSetV1 = {
    accessToken: new Secret(`at-${randomHex(16)}`),
    refreshToken: new Secret(`rt-${randomHex(16)}`),
    expiresAt: now + 60 * 60 * 1000,
    refreshExpiresAt: now + 7 * 24 * 60 * 60 * 1000,
    issuedAt: now,
    tokenType: 'Bearer',
    extras: { baseUrl: 'https://api.broker.example/v1', userId: `user-${randomHex(3)}` },
    secretExtras: { idToken: new Secret(`id-${randomHex(16)}`) },
  };
  const out: Record<string, unknown> = { ...base, ...overrides };
  for (const key of Object.keys(overrides)) {
    if ((overrides as Record<string, unknown>)[key] === undefined) delete out[key];
  }
  return out as unknown as TokenSetV1;
}

/** One canary found in one output. */
export interface CanaryLeak {
  /** The canary that leaked (a test value, safe to print). */
  canary: string;
  /** Index of the output (0-based) among those passed to `canaryCheck`. */
  output: number;
  /** How the output was rendered when the canary showed up. */
  via: 'json' | 'inspect' | 'string' | 'message' | 'stack';
}

function safe(render: () => string): string {
  try {
    return render();
  } catch {
    return '';
  }
}

function renderings(output: unknown): Array<[CanaryLeak['via'], string]> {
  if (typeof output === 'string') return [['string', output]];
  const out: Array<[CanaryLeak['via'], string]> = [
    ['json', safe(() => JSON.stringify(output) ?? '')],
    ['inspect', safe(() => inspect(output, { depth: 10, showHidden: false }))],
    ['string', safe(() => String(output))],
  ];
  // Walk error causes by hand too: some errors hide them from inspect (custom inspect, getters).
  let error: unknown = output;
  for (let depth = 0; error instanceof Error && depth < 8; depth++) {
    out.push(['message', error.message], ['stack', error.stack ?? '']);
    error = error.cause;
  }
  return out;
}

/**
 * Renders every output the ways a log line, an API response or a terminal would (JSON, util.inspect,
 * String; for errors also message, stack and the cause chain) and returns every canary found.
 * Empty canaries are ignored. Use long, unique canaries: a 4-digit PIN may appear in a timestamp.
 *
 * ```ts
 * expect(canaryCheck([appSecret, pin], error, tokenSet)).toEqual([]);
 * ```
 */
export function canaryCheck(values: readonly string[], ...outputs: unknown[]): CanaryLeak[] {
  const canaries = [...new Set(values.filter((v) => typeof v === 'string' && v.length > 0))];
  const leaks: CanaryLeak[] = [];
  outputs.forEach((output, index) => {
    for (const [via, text] of renderings(output)) {
      for (const canary of canaries) {
        if (text.includes(canary) && !leaks.some((l) => l.canary === canary && l.output === index)) {
          leaks.push({ canary, output: index, via });
        }
      }
    }
  });
  return leaks;
}
