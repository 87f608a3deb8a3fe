import { rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindKiteConnect, bindToken, createTokensClient, TokensClientError, type ClientToken, type TokensClient, type TokensClientOptions } from '../src';
import { ACCOUNT, startDaemonHarness, waitFor, type DaemonHarness } from './daemon-harness';

let daemon: DaemonHarness;
const clients: TokensClient[] = [];

beforeAll(async () => {
  daemon = await startDaemonHarness();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await daemon?.close();
});

const fast = { reconnect: { initialMs: 20, maxMs: 100 }, requestTimeoutMs: 5_000 } as const;

function make(o: Partial<TokensClientOptions>): TokensClient {
  const c = createTokensClient({ apiToken: daemon.apiToken, ...fast, ...o });
  clients.push(c);
  return c;
}

/** What the daemon hands out right now, over plain HTTP. */
const current = () => daemon.api<{ accessToken: string; version: number; expiresAt: number }>('GET', `/v1/accounts/${ACCOUNT}/token`);

const transports = {
  sse: () => ({ url: daemon.url }),
  socket: () => ({ socketPath: daemon.socketPath }),
  'socket + http': () => ({ socketPath: daemon.socketPath, url: daemon.url }),
};

describe.each(Object.entries(transports))('over %s', (_name, where) => {
  it('serves the daemon token from the cache and pushes the next one after a refresh', async () => {
    const client = make({ ...where(), accounts: [ACCOUNT] });
    await client.ready();
    const first = await current();
    expect(await client.getAccessToken(ACCOUNT)).toBe(first.accessToken);
    const readsBefore = client.stats().reads;
    for (let i = 0; i < 100; i++) await client.getAccessToken(ACCOUNT);
    expect(client.stats().reads).toBe(readsBefore); // all from the cache

    const changes: ClientToken[] = [];
    client.onChange(ACCOUNT, (t) => changes.push(t));
    const version = await daemon.refresh();
    const pushed = await waitFor(() => changes.find((t) => t.version === version), 5_000, 'the pushed token');
    const now = await current();
    expect(pushed.accessToken).toBe(now.accessToken);
    expect(pushed.accessToken).not.toBe(first.accessToken);
    expect(Math.abs(pushed.expiresAt - now.expiresAt)).toBeLessThan(1_000); // the socket sends seconds
    expect(await client.getAccessToken(ACCOUNT)).toBe(now.accessToken);
    // The token never shows in logs or JSON.
    expect(JSON.stringify(pushed)).not.toContain(now.accessToken);
    expect(inspect(pushed)).not.toContain(now.accessToken);
    expect(inspect(pushed)).toContain('[redacted]');
  });

  it('keeps a kiteconnect-like instance and any bound SDK on the current token, in place', async () => {
    const client = make({ ...where() });
    const kite = {
      accessToken: undefined as string | undefined,
      setAccessToken(t: string) {
        this.accessToken = t;
      },
    };
    const headers: Record<string, string> = {};
    await bindKiteConnect(client, ACCOUNT, kite).ready;
    const generic = bindToken(client, ACCOUNT, (t) => void (headers.authorization = `Bearer ${t}`));
    await generic.ready;
    const before = await current();
    expect(kite.accessToken).toBe(before.accessToken);
    expect(headers.authorization).toBe(`Bearer ${before.accessToken}`);

    await daemon.refresh();
    const after = await current();
    await waitFor(() => kite.accessToken === after.accessToken, 5_000, 'kite.setAccessToken with the new token');
    await waitFor(() => headers.authorization === `Bearer ${after.accessToken}`, 5_000, 'the generic binding');

    generic.unbind();
    await daemon.refresh();
    const third = await current();
    await waitFor(() => kite.accessToken === third.accessToken, 5_000, 'the next token');
    expect(headers.authorization).toBe(`Bearer ${after.accessToken}`); // unbound: left alone
  });
});

// With `url`, invalidate() uses HTTP; with only `socketPath`, the socket's `invalidate` op.
describe.each(Object.entries(transports))('invalidate over %s', (_name, where) => {
  it('invalidate() after a simulated 401 yields a newer token that the broker accepts', async () => {
    const client = make({ ...where() });
    const token = await client.getToken(ACCOUNT);
    daemon.dhan.revokeToken(token.accessToken); // the broker kills the session
    // A bot's broker call: Dhan's profile endpoint answers 401 for the dead token.
    const callBroker = async (accessToken: string) => {
      const res = await fetch(`${daemon.dhan.url}/profile`, { headers: { 'access-token': accessToken } });
      if (!res.ok) throw Object.assign(new Error(`broker said ${res.status}`), { status: res.status });
      return res.status;
    };
    await expect(callBroker(token.accessToken)).rejects.toMatchObject({ status: 401 });

    const used: string[] = [];
    const status = await client.withToken(ACCOUNT, (t) => {
      used.push(t);
      return callBroker(t);
    });
    expect(status).toBe(200);
    expect(used).toHaveLength(2);
    expect(used[0]).toBe(token.accessToken);
    const fresh = client.peek(ACCOUNT)!;
    expect(fresh.version).toBeGreaterThan(token.version);
    expect(used[1]).toBe(fresh.accessToken);
    expect(daemon.dhan.isTokenValid(fresh.accessToken)).toBe(true);
    expect((await current()).accessToken).toBe(fresh.accessToken);

    // A second invalidate for the already-replaced token answers from the cache at once.
    const readsBefore = client.stats().reads;
    expect((await client.invalidate(ACCOUNT, { accessToken: token.accessToken })).accessToken).toBe(fresh.accessToken);
    expect(client.stats().reads).toBe(readsBefore);
  });

});

describe('daemon restart', () => {
  it('SSE: serves the cached token while the daemon is down, reconnects and re-reads (a token minted meanwhile arrives)', async () => {
    let reachable = true;
    const gated: typeof fetch = (input, init) =>
      reachable ? fetch(input, init) : Promise.reject(new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }));
    const client = make({ url: daemon.url, fetch: gated, accounts: [ACCOUNT] });
    await client.ready();
    const before = await client.getToken(ACCOUNT);
    const changes: ClientToken[] = [];
    client.onChange(ACCOUNT, (t) => changes.push(t));

    reachable = false;
    await daemon.stop();
    await waitFor(() => client.state !== 'connected', 5_000, 'the client to notice');
    expect(await client.getAccessToken(ACCOUNT)).toBe(before.accessToken); // still valid: served

    await daemon.start(); // same port, socket and store
    const version = await daemon.refresh(); // its push is missed: the client cannot reach the daemon
    await new Promise((r) => setTimeout(r, 150));
    expect(changes).toHaveLength(0);

    reachable = true;
    const pushed = await waitFor(() => changes.find((t) => t.version === version), 5_000, 'the re-read after reconnecting');
    expect(pushed.accessToken).toBe((await current()).accessToken);
    expect(client.stats().connections).toBeGreaterThanOrEqual(2);
    await client.ready();
    expect(client.state).toBe('connected');

    // Pushes work on the new connection too.
    const next = await daemon.refresh();
    await waitFor(() => changes.find((t) => t.version === next), 5_000, 'a push after the reconnect');
  });

  it('socket: same, with the socket file briefly gone', async () => {
    const link = join(daemon.dir, 'client.sock');
    symlinkSync(daemon.socketPath, link);
    const states: string[] = [];
    const client = make({ socketPath: link, accounts: [ACCOUNT] });
    client.onConnection((s) => states.push(s));
    await client.ready();
    const before = await client.getToken(ACCOUNT);
    const changes: ClientToken[] = [];
    client.onChange(ACCOUNT, (t) => changes.push(t));

    rmSync(link);
    await daemon.stop();
    await waitFor(() => client.state !== 'connected', 5_000, 'the client to notice');
    expect(await client.getAccessToken(ACCOUNT)).toBe(before.accessToken);

    await daemon.start();
    const version = await daemon.refresh();
    await new Promise((r) => setTimeout(r, 150));
    expect(changes).toHaveLength(0);

    symlinkSync(daemon.socketPath, link);
    const pushed = await waitFor(() => changes.find((t) => t.version === version), 5_000, 'the snapshot after reconnecting');
    expect(pushed.accessToken).toBe((await current()).accessToken);
    expect(states).toContain('disconnected');
    expect(client.stats().connections).toBeGreaterThanOrEqual(2);
  });

  it('a plain restart (SIGTERM, start again) is picked up by both transports without help', async () => {
    const sse = make({ url: daemon.url, accounts: [ACCOUNT] });
    const sock = make({ socketPath: daemon.socketPath, accounts: [ACCOUNT] });
    await Promise.all([sse.ready(), sock.ready()]);
    await daemon.stop();
    await daemon.start();
    await waitFor(() => sse.stats().connections >= 2 && sock.stats().connections >= 2 && sse.state === 'connected' && sock.state === 'connected', 5_000, 'both to reconnect');
    await Promise.all([sse.ready(), sock.ready()]);
    const version = await daemon.refresh();
    await waitFor(() => sse.peek(ACCOUNT)?.version === version && sock.peek(ACCOUNT)?.version === version, 5_000, 'pushes on both');
  });
});

describe('errors', () => {
  it('a wrong API token is UNAUTHORIZED and not retryable, on both transports', async () => {
    for (const where of [{ url: daemon.url }, { socketPath: daemon.socketPath }]) {
      const client = make({ ...where, apiToken: 'wrong-token-wrong-token' });
      const error = await client.getAccessToken(ACCOUNT).catch((e: unknown) => e);
      expect(TokensClientError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: 'UNAUTHORIZED', isRetryable: false, account: ACCOUNT });
      await expect(client.ready(300)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    }
  });

  it('an unknown account is the daemon\'s UNKNOWN_ACCOUNT, not retryable', async () => {
    for (const where of [{ url: daemon.url }, { socketPath: daemon.socketPath }]) {
      const client = make(where);
      await expect(client.getAccessToken('nope')).rejects.toMatchObject({ code: 'UNKNOWN_ACCOUNT', isRetryable: false, account: 'nope' });
    }
  });

  it('socket only: invalidate() is the socket op; the newer token reaches every subscriber', async () => {
    const client = make({ socketPath: daemon.socketPath, accounts: [ACCOUNT] });
    const other = make({ socketPath: daemon.socketPath, accounts: [ACCOUNT] });
    await Promise.all([client.ready(), other.ready()]);
    const before = await client.getToken(ACCOUNT);
    const readsBefore = client.stats().reads;
    const fresh = await client.invalidate(ACCOUNT); // no token given: the cached one was rejected
    expect(fresh.version).toBeGreaterThan(before.version);
    expect(fresh.accessToken).not.toBe(before.accessToken);
    expect(fresh.accessToken).toBe((await current()).accessToken);
    expect(daemon.dhan.isTokenValid(fresh.accessToken)).toBe(true);
    expect(client.stats().reads).toBe(readsBefore); // the op's answer carries the token: no extra get
    expect(await client.getAccessToken(ACCOUNT)).toBe(fresh.accessToken);
    await waitFor(() => other.peek(ACCOUNT)?.version === fresh.version, 5_000, 'the other client to get the push');
  });

  it('socket only: invalidate() of an unknown account is the daemon\'s UNKNOWN_ACCOUNT, said clearly', async () => {
    const client = make({ socketPath: daemon.socketPath });
    const error = (await client.invalidate('nope', { accessToken: 'whatever' }).catch((e: unknown) => e)) as TokensClientError;
    expect(TokensClientError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'UNKNOWN_ACCOUNT', isRetryable: false, account: 'nope' });
    expect(error.message).toMatch(/^The daemon could not replace the rejected token of "nope" \(invalidate: Unknown account "nope"/);
  });
});
