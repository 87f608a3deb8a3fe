import type { LoggerV1, TokenManager } from '@tokens/core';
import { createFakeClock, type FakeClock } from '@tokens/core/testing';
import { createKotak, type KotakAdapter, type KotakSettings } from '../src';
import { startFakeKotak, type FakeKotak, type FakeKotakOptions } from '../src/fake';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

/** Epoch ms of a wall-clock time in IST (UTC+05:30, no DST). */
export function ist(y: number, m: number, d: number, h = 0, min = 0, s = 0): number {
  return Date.UTC(y, m - 1, d, h, min, s) - 5.5 * HOUR;
}

/** "2026-01-27 08:30" in IST. */
export function istText(at: number): string {
  return new Date(at + 5.5 * HOUR).toISOString().slice(0, 16).replace('T', ' ');
}

export interface Setup {
  clock: FakeClock;
  fake: FakeKotak;
  adapter: KotakAdapter;
  close(): Promise<void>;
}

/** A fake clock, the fake on loopback and an adapter pointed at it. */
export async function setup(
  o: { start?: number; fake?: FakeKotakOptions; settings?: Partial<KotakSettings> } = {},
): Promise<Setup> {
  const clock = createFakeClock(o.start ?? ist(2026, 1, 27, 8, 30));
  const fake = await startFakeKotak({ clock, ...o.fake });
  const adapter = createKotak({ ...fake.credentials, loginBaseUrl: fake.url, timeoutMs: 2_000, environment: {}, ...o.settings });
  return { clock, fake, adapter, close: () => fake.close() };
}

export function refreshInput(clock: FakeClock, signal: AbortSignal = new AbortController().signal) {
  return { accountId: 'kotak', signal, now: clock.now() };
}

/** Polls (real time, every 2 ms, up to `ms`) until `check` holds. */
export async function waitFor(check: () => boolean, what: string, ms = 2_000): Promise<void> {
  const until = performance.now() + ms;
  while (!check()) {
    if (performance.now() > until) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Waits until no refresh is in flight for the account (the loopback HTTP needs real I/O time). */
export function idle(manager: TokenManager, id: string): Promise<void> {
  return waitFor(() => manager.status(id).state !== 'refreshing', `${id} to finish refreshing`);
}

/** A logger that keeps every line as the JSON a log shipper would store. */
export function captureLogger(): LoggerV1 & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (obj: object, msg?: string) => {
    lines.push(JSON.stringify({ level, ...obj, msg }));
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export function decodeJwt(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
