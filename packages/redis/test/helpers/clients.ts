// ioredis clients for tests: every client made here is closed by `closeAll()`.
import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';

const open = new Set<Redis>();

export function connect(url: string, options: RedisOptions = {}): Redis {
  const client = new Redis(url, { lazyConnect: false, ...options });
  client.on('error', () => undefined); // reconnects are expected in these tests
  open.add(client);
  return client;
}

export async function closeAll(): Promise<void> {
  const clients = [...open];
  open.clear();
  // quit() waits for a reconnect that may never come (a stopped test server): disconnect those.
  await Promise.all(clients.map((c) => (c.status === 'ready' ? c.quit().catch(() => c.disconnect()) : c.disconnect())));
}

/** A key prefix no other test uses, so list() and the change channel see only this test's data. */
export function uniquePrefix(name = 't'): string {
  return `${name}:${randomBytes(4).toString('hex')}`;
}

/** Polls `check` (real time) until it returns a value other than undefined/false. */
export async function eventually<T>(check: () => T | Promise<T>, withinMs = 5_000, what = 'condition'): Promise<Exclude<T, false | undefined>> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as Exclude<T, false | undefined>;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
