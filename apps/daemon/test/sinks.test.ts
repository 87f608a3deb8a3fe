import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, type TokenSetV1 } from '@tokens/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createExecSink } from '../src/token-sinks/exec-sink';
import { createEnvSink, createJsonFileSink, createRawFileSink, createSchwabPySink, updateEnvText } from '../src/token-sinks/file-sinks';
import { createSocketPushSink } from '../src/token-sinks/socket-sink';
import { createSinkRunner } from '../src/token-sinks/runner';

const dir = mkdtempSync(join(tmpdir(), 'tokens-sinks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const signal = new AbortController().signal;

const tokenSet = (n = 1): TokenSetV1 => ({
  accessToken: new Secret(`access-token-${n}`),
  refreshToken: new Secret(`refresh-token-${n}`),
  issuedAt: Date.UTC(2026, 10, 22, 10, 0),
  expiresAt: Date.UTC(2026, 10, 22, 10, 30),
  refreshExpiresAt: Date.UTC(2026, 10, 29, 10, 0),
  tokenType: 'Bearer',
});
const delivery = (n = 1) => ({ accountId: 'schwab-main', broker: 'schwab', version: n, tokenSet: tokenSet(n) });
const mode = (p: string) => statSync(p).mode & 0o777;

describe('.env update', () => {
  it('replaces only the key, keeping every other line, comment, order and export prefix', () => {
    const before = '# trading bot\nAPI_URL=https://x\nexport FYERS_ACCESS_TOKEN=old # stale\n\n# end\nOTHER="a b"\n';
    expect(updateEnvText(before, { FYERS_ACCESS_TOKEN: 'abc.def' })).toBe('# trading bot\nAPI_URL=https://x\nexport FYERS_ACCESS_TOKEN=abc.def\n\n# end\nOTHER="a b"\n');
    expect(updateEnvText('A=1', { B: 'two words' })).toBe('A=1\nB="two words"\n');
    expect(updateEnvText('A=1\r\nB=2\r\n', { A: '3' })).toBe('A=3\r\nB=2\r\n');
    expect(updateEnvText('', { K: 'v' })).toBe('K=v\n');
  });
});

describe('file sinks', () => {
  it('write atomically with mode 0600: json, raw, schwab-py and .env', async () => {
    const json = join(dir, 'tokens', 'schwab.json');
    const raw = join(dir, 'raw.txt');
    const py = join(dir, 'schwab_tokens.json');
    const env = join(dir, '.env');
    writeFileSync(env, '# keep me\nFYERS=1\n');
    await createJsonFileSink(json).write(delivery(3), signal);
    await createRawFileSink(raw).write(delivery(3), signal);
    await createSchwabPySink(py).write(delivery(3), signal);
    await createEnvSink({ path: env, key: 'SCHWAB_ACCESS_TOKEN', expiresKey: 'SCHWAB_EXPIRES_AT' }).write(delivery(3), signal);
    expect(JSON.parse(readFileSync(json, 'utf8'))).toEqual({
      account: 'schwab-main',
      broker: 'schwab',
      version: 3,
      access_token: 'access-token-3',
      refresh_token: 'refresh-token-3',
      token_type: 'Bearer',
      expires_at: Date.UTC(2026, 10, 22, 10, 30) / 1000,
      issued_at: Date.UTC(2026, 10, 22, 10, 0) / 1000,
      refresh_expires_at: Date.UTC(2026, 10, 29, 10, 0) / 1000,
    });
    expect(readFileSync(raw, 'utf8')).toBe('access-token-3');
    const schwabPy = JSON.parse(readFileSync(py, 'utf8'));
    expect(schwabPy.token).toMatchObject({ access_token: 'access-token-3', refresh_token: 'refresh-token-3', expires_at: Date.UTC(2026, 10, 22, 10, 30) / 1000 });
    // schwab-py counts the 7 days from creation_timestamp: the original login.
    expect(schwabPy.creation_timestamp).toBe(Date.UTC(2026, 10, 22, 10, 0) / 1000);
    expect(readFileSync(env, 'utf8')).toBe('# keep me\nFYERS=1\nSCHWAB_ACCESS_TOKEN=access-token-3\nSCHWAB_EXPIRES_AT=2026-11-22T10:30:00.000Z\n');
    for (const p of [json, raw, py, env]) expect(mode(p)).toBe(0o600);
  });
});

describe('Unix-socket push (the Schwab C++ bot protocol)', () => {
  const listen = (path: string, reply: (line: string) => string | undefined) =>
    new Promise<{ server: Server; lines: string[] }>((resolve) => {
      const lines: string[] = [];
      const server = createServer((socket) => {
        let buf = '';
        socket.on('data', (c) => {
          buf += c.toString();
          if (!buf.includes('\n')) return;
          lines.push(buf.trim());
          const r = reply(buf.trim());
          if (r !== undefined) socket.write(r);
        });
      });
      server.listen(path, () => resolve({ server, lines }));
    });

  it('sends one JSON object and resolves on OK', async () => {
    const path = join(dir, 'bot.sock');
    const { server, lines } = await listen(path, () => 'OK\n');
    await createSocketPushSink({ path, tries: 3, intervalMs: 10, timeoutMs: 500 }).write(delivery(5), signal);
    expect(lines.map((l) => JSON.parse(l))).toEqual([{ access_token: 'access-token-5', refresh_token: 'refresh-token-5', expires_at: Date.UTC(2026, 10, 22, 10, 30) / 1000 }]);
    server.close();
  });

  it('retries a consumer that does not answer OK, then fails with the reason', async () => {
    const path = join(dir, 'mute.sock');
    const { server, lines } = await listen(path, () => undefined);
    const err = await createSocketPushSink({ path, tries: 3, intervalMs: 10, timeoutMs: 100 }).write(delivery(6), signal).catch((e) => e);
    expect(err.message).toBe('no OK within 100 ms after 3 tries');
    expect(lines).toHaveLength(3);
    server.close();
  });

  it('does not block when nobody listens', async () => {
    const err = await createSocketPushSink({ path: join(dir, 'nobody.sock'), tries: 2, intervalMs: 10, timeoutMs: 100 }).write(delivery(7), signal).catch((e) => e);
    expect(err.message).toBe('nobody is listening on the socket after 2 tries');
  });
});

describe('exec hook', () => {
  it('passes the token in the environment, never in argv, and reports a failing exit code', async () => {
    const out = join(dir, 'hook-out.json');
    const script = `require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({ token: process.env.TOKENS_ACCESS_TOKEN, account: process.env.TOKENS_ACCOUNT, argv: process.argv.slice(1) }))`;
    await createExecSink({ command: [process.execPath, '-e', script], timeoutMs: 10_000 }).write(delivery(8), signal);
    const seen = JSON.parse(readFileSync(out, 'utf8'));
    expect(seen.token).toBe('access-token-8');
    expect(seen.account).toBe('schwab-main');
    expect(JSON.stringify(seen.argv)).not.toContain('access-token-8');
    const err = await createExecSink({ command: 'exit 3', timeoutMs: 10_000 }).write(delivery(8), signal).catch((e) => e);
    expect(err.message).toBe('hook exit exited with code 3');
  });
});

describe('sink runner', () => {
  it('runs sinks independently: a failing sink reports and does not stop the others', async () => {
    const results: string[] = [];
    const runner = createSinkRunner({ logger: { debug() {}, info() {}, warn() {}, error() {} }, now: () => 0, onResult: (r) => results.push(`${r.sink}:${r.ok}`) });
    const good = join(dir, 'runner.txt');
    await runner.set('schwab-main', [createRawFileSink(good), createSocketPushSink({ path: join(dir, 'none.sock'), tries: 1, intervalMs: 1, timeoutMs: 50 })]);
    runner.deliver(delivery(9));
    await runner.idle();
    expect(readFileSync(good, 'utf8')).toBe('access-token-9');
    expect(results.sort()).toEqual([`raw:${good}:true`, `unix-socket:${join(dir, 'none.sock')}:false`].sort());
    expect(runner.status('schwab-main').map((s) => [s.type, s.delivered, s.failed])).toEqual([
      ['raw', 1, 0],
      ['unix-socket', 0, 1],
    ]);
    await runner.close();
  });
});
