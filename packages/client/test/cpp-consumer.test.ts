import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ACCOUNT, startDaemonHarness, waitFor, type DaemonHarness } from './daemon-harness';

// The README's C++ consumer, compiled as written and run against the REAL daemon: the socket
// protocol section must be enough to write a working consumer. Never skipped: without g++ or
// nlohmann/json each test fails saying what to install.
const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
const sketch = /```cpp\n([\s\S]*?)```/.exec(readme)?.[1];
const INSTALL = 'apt-get install -y g++ nlohmann-json3-dev; bash .ci/run installs both on CI';
const probe = spawnSync('g++', ['-std=c++17', '-fsyntax-only', '-x', 'c++', '-'], { input: '#include <nlohmann/json.hpp>\nint main() {}\n', encoding: 'utf8' });
const compiler = probe.status === 0 ? 'g++' : undefined;
const missing = probe.error
  ? `g++ not found: install it with nlohmann/json (${INSTALL}).`
  : `g++ cannot compile #include <nlohmann/json.hpp> (${probe.stderr?.trim().split('\n')[0] || `exit ${probe.status}`}): g++ or nlohmann/json missing (${INSTALL}).`;

function requireCompiler(): string {
  if (!compiler) throw new Error(missing);
  return compiler;
}

// A harness around the README's class: prints the version it holds whenever it changes (never the
// token); "reject" on stdin calls rejected() with the token it holds, as a bot after a 401.
const MAIN = `
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
int main(int, char** argv) {
  TokenFeed feed(argv[1], std::getenv("TOKENS_API_TOKEN"), argv[2]);
  std::atomic<bool> done{false};
  std::string fatal;
  std::thread runner([&] { fatal = feed.run(); done = true; });
  std::thread input([&] {
    std::string line;
    while (std::getline(std::cin, line)) if (line == "reject") feed.rejected(feed.current().access);
  });
  input.detach();
  int64_t printed = -1;
  while (!done) {
    Token t = feed.current();
    if (t.version != printed) {
      std::printf("version %lld expires_at %lld\\n", static_cast<long long>(t.version), static_cast<long long>(t.expiresAt));
      std::fflush(stdout);
      printed = t.version;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  runner.join();
  std::printf("fatal %s\\n", fatal.c_str());
  return 3;
}
`;

let daemon: DaemonHarness;
let dir: string;
let binary: string;

beforeAll(async () => {
  if (!compiler) return;
  expect(sketch).toBeDefined();
  dir = mkdtempSync(join(tmpdir(), 'tokens-cpp-'));
  writeFileSync(join(dir, 'feed.cpp'), `${sketch!}\n${MAIN}`);
  binary = join(dir, 'feed');
  const [built] = await Promise.all([
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const cc = spawn(compiler, ['-std=c++17', '-Wall', '-Wextra', '-Werror', '-pthread', '-O0', join(dir, 'feed.cpp'), '-o', binary]);
      let out = '';
      cc.stdout.on('data', (d: Buffer) => (out += d.toString()));
      cc.stderr.on('data', (d: Buffer) => (out += d.toString()));
      cc.once('exit', (code) => resolve({ code, out }));
    }),
    startDaemonHarness().then((d) => (daemon = d)),
  ]);
  expect(built.out).toBe('');
  expect(built.code).toBe(0);
}, 120_000);
afterAll(async () => {
  await daemon?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function run(account: string, apiToken: string) {
  const child = spawn(binary, [daemon.socketPath, account], { env: { ...process.env, TOKENS_API_TOKEN: apiToken }, stdio: ['pipe', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const versions = () => [...out.stdout.matchAll(/^version (\d+) /gm)].map((m) => Number(m[1]));
  return { child, out, exit, versions };
}

const current = () => daemon.api<{ accessToken: string; version: number }>('GET', `/v1/accounts/${ACCOUNT}/token`);

it('follows pushes and, after a 401, gets a newer token through the socket invalidate op', async () => {
  requireCompiler();
  const p = run(ACCOUNT, daemon.apiToken);
  try {
    const first = await current();
    await waitFor(() => p.versions().includes(first.version), 10_000, 'the snapshot');
    const pushed = await daemon.refresh();
    await waitFor(() => p.versions().includes(pushed), 10_000, 'the push');

    const dead = await current();
    daemon.dhan.revokeToken(dead.accessToken); // the broker rejects the token the consumer holds
    p.child.stdin.write('reject\n');
    await waitFor(() => p.versions().some((v) => v > dead.version), 10_000, 'a newer token after rejected()');
    const fresh = await current();
    expect(fresh.version).toBe(dead.version + 1);
    expect(Math.max(...p.versions())).toBe(fresh.version);
    expect(daemon.dhan.isTokenValid(fresh.accessToken)).toBe(true);
    for (const t of [first.accessToken, dead.accessToken, fresh.accessToken]) expect(p.out.stdout + p.out.stderr).not.toContain(t);
  } finally {
    p.child.kill();
  }
});

it('stops on an unknown account and on a wrong API token instead of reconnecting for ever', async () => {
  requireCompiler();
  const unknown = run('nope', daemon.apiToken);
  expect(await unknown.exit).toBe(3);
  expect(unknown.out.stdout).toMatch(/^fatal UNKNOWN_ACCOUNT: unknown account\(s\): nope$/m);
  const wrong = run(ACCOUNT, 'not-the-api-token-000000');
  expect(await wrong.exit).toBe(3);
  expect(wrong.out.stdout).toMatch(/^fatal UNAUTHORIZED: wrong API token$/m);
});
