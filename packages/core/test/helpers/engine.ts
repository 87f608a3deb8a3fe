import { Secret } from '../../src/secret';
import type { TokenSetV1 } from '../../src/contracts/token-set';
import type { LoggerV1 } from '../../src/contracts/logger';

export const MIN = 60_000;
export const HOUR = 60 * MIN;

let counter = 0;

/** A fresh token set with a unique access token. */
export function tokenSet(now: number, lifetimeMs = 30 * MIN, extra: Partial<TokenSetV1> = {}): TokenSetV1 {
  counter++;
  return {
    accessToken: new Secret(`access-${counter}-${'x'.repeat(8)}`),
    refreshToken: new Secret(`refresh-${counter}-${'y'.repeat(8)}`),
    issuedAt: now,
    expiresAt: now + lifetimeMs,
    ...extra,
  };
}

/** A logger that keeps every line as JSON, for asserting on content and for canary checks. */
export function captureLogger(): LoggerV1 & { lines: string[] } {
  const lines: string[] = [];
  const write = (level: string) => (obj: object, msg?: string) => {
    lines.push(JSON.stringify({ level, ...obj, msg }));
  };
  return { lines, debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

export function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
