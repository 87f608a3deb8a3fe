import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokensClient, TokensClientError, type ClientToken, type DaemonEvent, type TokensClient, type TokensClientOptions } from '../src';
import { ACCOUNT, startDaemonHarness, waitFor, type DaemonHarness } from './daemon-harness';

// The Unix-socket protocol as the README documents it, against the REAL daemon process, and
// the client's handling of its ops and errors. The broker outage test runs last (it leaves the
// account in backoff for a moment).

let daemon: DaemonHarness;
const clients: TokensClient[] = [];
const sockets: Socket[] = [];

beforeAll(async () => {
  daemon = await startDaemonHarness();
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(clients.map((c) => c.close()));
  await daemon?.close();
});

function make(o: Partial<TokensClientOptions>): TokensClient {
  const c = createTokensClient({ apiToken: daemon.apiToken, socketPath: daemon.socketPath, reconnect: { initialMs: 20, maxMs: 100 }, requestTimeoutMs: 5_000, ...o });
  clients.push(c);
  return c;
}

type Line = Record<string, unknown>;

/** A bare protocol consumer: what a C++ or Python program sees. */
async function raw() {
  const s = connect(daemon.socketPath);
  sockets.push(s);
  s.setEncoding('utf8');
  const lines: Line[] = [];
  let buf = '';
  s.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim()) lines.push({ ...(JSON.parse(line) as Line), receivedAt: Date.now() });
    }
  });
  await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
  const send = (m: object) => s.write(`${JSON.stringify(m)}\n`);
  /** The answers to request `id` (never events). */
  const answers = (id: unknown) => lines.filter((l) => l.event === undefined && l.id === id);
  const request = async (m: { id: string } & Record<string, unknown>) => {
    send(m);
    return waitFor(() => answers(m.id)[0], 10_000, `the answer to ${m.id}`);
  };
  expect(await request({ id: 'a', op: 'auth', token: daemon.apiToken })).toMatchObject({ ok: true });
  return { lines, send, request, answers, events: () => lines.filter((l) => l.event !== undefined) };
}

const current = () => daemon.api<{ accessToken: string; version: number }>('GET', `/v1/accounts/${ACCOUNT}/token`);

describe('the socket protocol (raw)', () => {
  it('token events carry the daemon\'s event id and publish time; snapshots carry neither', async () => {
    const c = await raw();
    expect(await c.request({ id: 's', op: 'subscribe', accounts: [ACCOUNT] })).toEqual(expect.objectContaining({ id: 's', ok: true }));
    const snapshot = await waitFor(() => c.events().find((e) => e.event === 'token'), 5_000, 'the snapshot');
    expect(snapshot).toMatchObject({ account: ACCOUNT, source: 'snapshot' });
    expect(snapshot).not.toHaveProperty('at');
    expect(snapshot).not.toHaveProperty('id');

    const t0 = Date.now();
    const version = await daemon.refresh();
    const pushed = await waitFor(() => c.events().find((e) => e.event === 'token' && e.version === version), 5_000, 'the push');
    expect(pushed).toMatchObject({ account: ACCOUNT, source: 'refresh', access_token: (await current()).accessToken });
    expect(typeof pushed.id).toBe('number');
    expect(typeof pushed.at).toBe('number');
    expect(pushed.at as number).toBeGreaterThanOrEqual(t0);
    expect(pushed.at as number).toBeLessThanOrEqual(pushed.receivedAt as number);
    // Other events are stamped the same way, with ids in publish order.
    const states = c.events().filter((e) => e.event === 'state');
    expect(states.length).toBeGreaterThan(0);
    for (const e of states) expect(e).toEqual(expect.objectContaining({ type: 'state', id: expect.any(Number), at: expect.any(Number) }));
  });

  it('subscribe naming an unknown account: ONE error with the request\'s id, and nothing subscribed', async () => {
    const c = await raw();
    const answer = await c.request({ id: 'bad', op: 'subscribe', accounts: [ACCOUNT, 'nope'] });
    expect(answer).toMatchObject({ id: 'bad', ok: false, error: { code: 'UNKNOWN_ACCOUNT' } });
    expect((answer.error as { message: string }).message).toContain('nope');
    await daemon.refresh();
    await new Promise((r) => setTimeout(r, 300));
    expect(c.answers('bad')).toHaveLength(1);
    expect(c.events()).toEqual([]); // no snapshot, no push: not subscribed to dhan-main either
    // The connection stays usable.
    expect(await c.request({ id: 'p', op: 'ping' })).toMatchObject({ ok: true, pong: true });
  });

  it('a failed subscribe leaves an earlier subscription on the connection as it was', async () => {
    const c = await raw();
    await c.request({ id: 's1', op: 'subscribe', accounts: [ACCOUNT] });
    expect(await c.request({ id: 's2', op: 'subscribe', accounts: ['nope'] })).toMatchObject({ ok: false, error: { code: 'UNKNOWN_ACCOUNT' } });
    const version = await daemon.refresh();
    await waitFor(() => c.events().find((e) => e.event === 'token' && e.version === version), 5_000, 'the push on the earlier subscription');
  });

  it('invalidate answers with the fresh token; naming an already replaced token refreshes nothing', async () => {
    const c = await raw();
    const before = await current();
    const fresh = await c.request({ id: 'i1', op: 'invalidate', account: ACCOUNT, access_token: before.accessToken });
    expect(fresh).toMatchObject({ id: 'i1', ok: true, account: ACCOUNT, broker: 'dhan', version: before.version + 1, expires_at: expect.any(Number) });
    expect(fresh.access_token).toBe((await current()).accessToken);
    expect(daemon.dhan.isTokenValid(fresh.access_token as string)).toBe(true);
    const again = await c.request({ id: 'i2', op: 'invalidate', account: ACCOUNT, access_token: before.accessToken });
    expect(again).toMatchObject({ ok: true, version: before.version + 1, access_token: fresh.access_token });
    const forced = await c.request({ id: 'r', op: 'refresh', account: ACCOUNT });
    expect(forced).toMatchObject({ ok: true, version: before.version + 2 });
    expect(await c.request({ id: 'x', op: 'invalidate' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });
});

describe('the client on the socket', () => {
  it('an unknown account among the tracked ones: the known ones stay subscribed, no reconnect loop', async () => {
    const errors: TokensClientError[] = [];
    const client = make({ accounts: [ACCOUNT, 'nope'], onError: (e) => errors.push(e as TokensClientError) });
    await client.ready();
    await waitFor(() => errors.find((e) => e.code === 'UNKNOWN_ACCOUNT' && e.account === 'nope'), 5_000, 'UNKNOWN_ACCOUNT for "nope" on onError');
    const changes: ClientToken[] = [];
    client.onChange(ACCOUNT, (t) => changes.push(t));
    const version = await daemon.refresh();
    await waitFor(() => changes.find((t) => t.version === version), 5_000, 'the push for the known account');
    await expect(client.getAccessToken('nope')).rejects.toMatchObject({ code: 'UNKNOWN_ACCOUNT', isRetryable: false, needsHuman: false, account: 'nope' });
    // Another unknown one on the fly: still subscribed to the known one, still one connection.
    await expect(client.getToken('nope-2')).rejects.toMatchObject({ code: 'UNKNOWN_ACCOUNT' });
    const next = await daemon.refresh();
    await waitFor(() => changes.find((t) => t.version === next), 5_000, 'the next push');
    expect(client.stats().connections).toBe(1);
    expect(client.state).toBe('connected');
  });

  it('onEvent hands out the daemon\'s id and publish time with each token event', async () => {
    const client = make({ accounts: [ACCOUNT] });
    await client.ready();
    const events: DaemonEvent[] = [];
    client.onEvent((e) => events.push(e));
    const t0 = Date.now();
    const version = await daemon.refresh();
    const e = await waitFor(() => events.find((x) => x.type === 'token' && x.version === version), 5_000, 'the token event');
    expect(e).toMatchObject({ type: 'token', accountId: ACCOUNT, source: 'refresh', id: expect.any(Number), at: expect.any(Number) });
    expect(e.at!).toBeGreaterThanOrEqual(t0);
    expect(e.at!).toBeLessThanOrEqual(Date.now());
    expect(JSON.stringify(events)).not.toContain((await current()).accessToken);
  });

  it('a broker outage during invalidate() is the daemon\'s error at once (not a long wait), and the client recovers', async () => {
    const client = make({ accounts: [ACCOUNT] });
    await client.ready();
    const before = await client.getToken(ACCOUNT);
    daemon.dhan.fault('server-error', { times: 1_000 });
    const t0 = Date.now();
    let error: TokensClientError;
    try {
      error = (await client.invalidate(ACCOUNT).catch((e: unknown) => e)) as TokensClientError;
    } finally {
      daemon.dhan.clearFaults();
    }
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(TokensClientError.isInstance(error)).toBe(true);
    expect(['REFRESH_BACKOFF', 'BROKER_API_ERROR', 'TOKEN_UNAVAILABLE']).toContain(error.code);
    expect(error).toMatchObject({ isRetryable: true, needsHuman: false, account: ACCOUNT });
    expect(error.message).toMatch(/^The daemon could not replace the rejected token of "dhan-main" \(invalidate: /);
    expect(error.message).not.toContain(before.accessToken);
    // The rejected token is never served again; the engine's retry brings a new one.
    const fresh = await waitFor(() => (client.peek(ACCOUNT)!.version > before.version ? client.peek(ACCOUNT) : undefined), 15_000, 'the engine\'s retry');
    expect(await client.getAccessToken(ACCOUNT)).toBe(fresh.accessToken);
    expect(client.stats().connections).toBe(1); // the outage did not cost the stream its connection
  });
});
