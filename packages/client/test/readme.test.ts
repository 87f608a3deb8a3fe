import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { ACCOUNT, startDaemonHarness, type DaemonHarness } from './daemon-harness';

// The README's example must run as written (vitest.config.ts maps @tokens/client to the
// sources), against a real daemon and the fake Dhan standing in for api.dhan.co.
const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
const example = /## Example[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];

let daemon: DaemonHarness;
beforeAll(async () => {
  daemon = await startDaemonHarness();
});
afterAll(async () => {
  await daemon?.close();
});

it('the README example recovers from a revoked session and prints what it says', async () => {
  expect(example).toBeDefined();
  expect(example).toContain(`'${ACCOUNT}'`);
  const dead = await daemon.api<{ accessToken: string }>('GET', `/v1/accounts/${ACCOUNT}/token`);
  daemon.dhan.revokeToken(dead.accessToken); // the broker killed the session behind the daemon's back
  const file = join(__dirname, `.readme-example-${process.pid}.ts`);
  writeFileSync(file, example!);
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  vi.stubEnv('TOKENS_URL', daemon.url);
  vi.stubEnv('TOKENS_API_TOKEN', daemon.apiToken);
  vi.stubEnv('DHAN_BASE_URL', daemon.dhan.url);
  try {
    await import(file);
    const lines = log.mock.calls.map((c) => String(c[0]));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^new token v2, expires \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(lines[1]).toBe('profile of 1000000401');
    expect(readme).toContain('it prints `new token v2, expires …` and then\n`profile of 1000000401`');
    expect(lines.join('\n')).not.toContain(dead.accessToken);
  } finally {
    log.mockRestore();
    vi.unstubAllEnvs();
    rmSync(file, { force: true });
  }
});
